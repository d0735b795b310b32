package dev.shardplan.emit;

import dev.shardplan.diag.Diagnostic;
import dev.shardplan.emit.Command.Arg;
import dev.shardplan.model.Target;

import java.util.ArrayList;
import java.util.List;

/** sglang/: one {@code sglang.launch_server} start script per node; for a disaggregated plan, per pool instance ({@link SglangPools}). */
public final class SglangEmitter implements Emitter {
    @Override
    public Target target() {
        return Target.SGLANG;
    }

    @Override
    public boolean launchesPools() {
        return true;
    }

    @Override
    public List<Diagnostic> check(EmitInput in) {
        if (in.plan().disaggregated()) return SglangPools.check(in);
        List<Diagnostic> out = new ArrayList<>(SglangLaunch.check(in));
        SglangLaunch.common(in, out);
        return out;
    }

    @Override
    public List<OutputFile> emit(EmitInput in) {
        if (in.plan().disaggregated()) return SglangPools.emit(in);
        List<Arg> shared = SglangLaunch.common(in, new ArrayList<>());
        int nodes = in.layout().nodes();
        List<OutputFile> files = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            List<String> setup = new ArrayList<>();
            if (nodes > 1) setup.add(Scripts.headAddr(in));
            String title = nodes == 1 ? "SGLang on one node" : "SGLang multi-node: node " + n + " of " + nodes;
            Command c = SglangLaunch.launch(in, shared, SglangLaunch.node(in, n, Site.SCRIPT));
            files.add(OutputFile.script("sglang/node" + n + ".sh",
                    Scripts.render(Scripts.header(in, title, SglangLaunch.args(in)), setup, SglangLaunch.env(in, n, false), List.of(c))));
        }
        return files;
    }
}
