package dev.shardplan.emit;

import java.util.ArrayList;
import java.util.List;

/** Builds the view model of a generated shell script and renders it with templates/node.sh.mustache. */
final class Scripts {
    /** The version written into generated files. */

    /** An exported variable; {@code value} is already a shell word. */
    public record EnvVar(String name, String value) {}

    /** View model of node.sh.mustache. Every string is final shell text (quoted where it came from the user). */
    public record ScriptView(List<String> comments, List<String> setup, List<EnvVar> env, List<String> commands,
                             String last) {}

    static final String SCRIPT_DIR = "SCRIPT_DIR=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"";

    private Scripts() {}

    /** Header comment lines (escaped for a comment): what the file is and where it came from. */
    static List<String> header(EmitInput in, String title) {
        List<String> c = new ArrayList<>();
        c.add(ShellQuote.comment(title));
        c.add(ShellQuote.comment(Header.generated(in)));
        return c;
    }

    /** The header of an engine's launch script: title, origin, the release it runs and what it leaves to the release's defaults. */
    static List<String> header(EmitInput in, String title, EngineArgs ea) {
        List<String> c = header(in, title);
        c.add(ShellQuote.comment("Engine: " + ea.cfg().release().label() + " (image " + ea.cfg().release().image() + ")."));
        for (String line : ea.comments()) c.add(ShellQuote.comment(line));
        return c;
    }

    /** The line that sets HEAD_ADDR: the plan's first host, or a required variable. */
    static String headAddr(EmitInput in) {
        Deployment d = in.deployment();
        if (!d.hosts().isEmpty()) return "HEAD_ADDR=" + ShellQuote.quote(d.hosts().get(0));
        return "HEAD_ADDR=\"${HEAD_ADDR:?set HEAD_ADDR to the address of node 0}\"";
    }

    static List<EnvVar> env(List<String[]> pairs) {
        List<EnvVar> out = new ArrayList<>();
        for (String[] p : pairs) out.add(new EnvVar(p[0], ShellQuote.quote(p[1])));
        return out;
    }

    static String render(List<String> comments, List<String> setup, List<String[]> env, List<Command> commands) {
        List<String> first = new ArrayList<>();
        for (int i = 0; i < commands.size() - 1; i++) first.add(commands.get(i).shell("    "));
        String last = commands.get(commands.size() - 1).shell("    ");
        return Templates.shared().render("node.sh.mustache", new ScriptView(comments, setup, env(env), first, last));
    }
}
