package dev.shardplan.emit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes generation after generation of the same plans into {@code OUT} until it is killed
 * ({@code java KillWriterMain OUT PLANS FILES}): OutputWriterSafetyTest kills it with SIGKILL at
 * random moments and inspects what it left.
 */
public final class KillWriterMain {
    private KillWriterMain() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int plans = Integer.parseInt(args[1]), files = Integer.parseInt(args[2]);
        // "ready" once the first generation is written and the JIT has seen the writer, so that the
        // test's kill lands while a later one is being written however slowly a loaded machine
        // starts this JVM (at load 20 the first write could outlast the test's random delay).
        OutputWriter.write(out, generation(1, plans, files), Map.of("shared.bin", "gen 1\n".getBytes()));
        System.out.println("ready");
        System.out.flush();
        for (long gen = 2; ; gen++) OutputWriter.write(out, generation(gen, plans, files), Map.of("shared.bin", ("gen " + gen + "\n").getBytes()));
    }

    /** Every file of every plan says which generation it belongs to. */
    static Map<String, List<OutputFile>> generation(long gen, int plans, int files) {
        Map<String, List<OutputFile>> m = new TreeMap<>();
        String body = ("gen " + gen + "\n").repeat(200);
        for (int p = 0; p < plans; p++) {
            List<OutputFile> fs = new ArrayList<>();
            for (int f = 0; f < files; f++) fs.add(OutputFile.text("d" + f % 3 + "/f" + f + ".txt", body));
            fs.add(OutputFile.text("gen", gen + "\n"));
            m.put("plan" + p, fs);
        }
        return m;
    }
}
