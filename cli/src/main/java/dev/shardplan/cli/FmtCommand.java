package dev.shardplan.cli;

import dev.shardplan.api.Frontend;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Span;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Sources;
import dev.shardplan.format.Formatter;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shardplan fmt [--check] PATH...}: rewrite files in canonical layout. */
@Command(name = "fmt", mixinStandardHelpOptions = true,
        header = "Format .plan files in place, or with --check list those that are not formatted.",
        description = "Rewrites each file in the canonical layout (atomically; a file that does not parse is left alone and its "
                + "errors are printed). With --check nothing changes: the files that are not formatted are listed.",
        footer = {"", "Exit status: 0 done (with --check: all formatted), 1 a file does not parse (with --check: or is not "
                + "formatted), 2 bad usage."})
final class FmtCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "PATH", description = ".plan files or folders")
    List<Path> paths;

    @Option(names = "--check", description = "change nothing; exit 1 if any file is not formatted")
    boolean check;

    @Option(names = "--color", defaultValue = "auto", description = "auto, always or never")
    Output.Color color;

    @Option(names = "--format", defaultValue = "human", description = "human or json (schema in docs/cli.md)")
    Output.Format format;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Diagnostics diags = new Diagnostics();
        Path root = Path.of("").toAbsolutePath();
        List<Path> files = Frontend.expand(root, paths, diags);
        Sources sources = new Sources();
        List<String> unformatted = new ArrayList<>();
        for (Path f : files) {
            String id = f.startsWith(root) ? root.relativize(f).toString() : f.toString();
            String text;
            try {
                // strict: a lenient decode would write U+FFFD over the bytes it could not read
                text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                diags.add(Diagnostic.of(Codes.BAD_ENCODING, new Span(id, 1, 1, 1, 1, 0, 0), "`" + id + "` is not valid UTF-8 text")
                        .help("save the file as UTF-8; fmt leaves it unchanged").build());
                continue;
            } catch (IOException e) {
                err.println("error: cannot read " + id + ": " + e.getMessage());
                return Main.ERRORS;
            }
            sources.put(id, text);
            ParseResult pr = PlanFileParser.parse(id, text);
            if (!pr.ok()) {
                diags.addAll(pr.diagnostics());
                continue;
            }
            String formatted = Formatter.format(text);
            if (!formatted.equals(text)) {
                unformatted.add(id);
                if (!check) dev.shardplan.emit.OutputWriter.writeFile(f, formatted);
            }
        }
        List<Diagnostic> ds = diags.sorted();
        if (format == Output.Format.json) {
            var extra = dev.shardplan.diag.Jsons.MAPPER.createObjectNode();
            extra.put("files", files.size());
            extra.put("check", check);
            var arr = extra.putArray(check ? "unformatted" : "formatted");
            unformatted.forEach(arr::add);
            Output.print(ds, sources, Output.Format.json, color, out, err, "", extra);
        } else {
            if (!ds.isEmpty()) Output.print(ds, sources, Output.Format.human, color, out, err, "fmt: " + Output.count(files.size(), "file"));
            for (String u : unformatted) out.println((check ? "not formatted: " : "formatted: ") + u);
        }
        if (!ds.isEmpty()) return Main.ERRORS;
        return check && !unformatted.isEmpty() ? Main.ERRORS : Main.OK;
    }
}
