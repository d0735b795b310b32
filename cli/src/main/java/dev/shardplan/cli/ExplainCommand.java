package dev.shardplan.cli;

import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Explanations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code shardplan explain CODE}: the catalogue page of a diagnostic code. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain a diagnostic code (e.g. SP0202), or list all codes with `explain --list`.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "CODE", description = "a diagnostic code such as SP0202")
    String what;

    @picocli.CommandLine.Option(names = "--list", description = "list every code")
    boolean list;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        if (list || what == null) {
            for (Code c : Codes.all()) out.printf("%s  %-8s %-32s %s%n", c.id(), c.severity().label(), c.name(), c.summary());
            return Main.OK;
        }
        Code c = Codes.byId(what);
        if (c == null) {
            err.println("error: no diagnostic code `" + what + "`");
            err.println("see `shardplan explain --list`");
            return Main.USAGE;
        }
        String page = Explanations.page(c);
        if (page == null) {
            out.println(c.id() + ": " + c.name() + " (" + c.severity().label() + ")");
            out.println(c.summary());
        } else {
            out.print(page);
        }
        return Main.OK;
    }
}
