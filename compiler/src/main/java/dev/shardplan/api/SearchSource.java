package dev.shardplan.api;

import dev.shardplan.ast.Ident;
import dev.shardplan.ast.Loc;
import dev.shardplan.ast.Nodes.Body;
import dev.shardplan.ast.Nodes.Decl;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.Import;
import dev.shardplan.ast.Nodes.Name;
import dev.shardplan.ast.Nodes.Quantity;
import dev.shardplan.ast.Nodes.Seq;
import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.ast.Nodes.Str;
import dev.shardplan.ast.Nodes.Value;
import dev.shardplan.format.Printer;
import dev.shardplan.model.EngineBlock;
import dev.shardplan.model.Parallel;
import dev.shardplan.model.Plan;
import dev.shardplan.model.Search;
import dev.shardplan.parse.ParseResult;
import dev.shardplan.parse.PlanFileParser;
import dev.shardplan.resolve.FieldTable;
import dev.shardplan.resolve.LanguageFields;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code search --emit}: the winner of a search written as a {@code .plan} file that checks on its
 * own. Built as an AST and printed through {@link Printer} and the formatter, never as a string:
 * the search file's imports (relative ones rebased to where the file is written), an import of the
 * search file itself for the declarations it holds (clusters, models, workloads), and a plan with
 * the search's own entries as written (model, cluster, workload, slo, deploy, tuning, allow) and the
 * winner's parallel layout (a pool winner's prefill and decode pools and KV transfer) and engine
 * block, each body in the order of the language's field tables.
 */
public final class SearchSource {
    private SearchSource() {}

    /**
     * The entries of a search a plan takes over as written: those a plan has too, but for the
     * parallel layout and the engine block, which are the winner's.
     */
    static boolean kept(String key) {
        return LanguageFields.of("plan").contains(key) && !key.equals("parallel") && !key.equals("engine");
    }

    /** A key's place in the language's table of its context; keys the table lacks (engine settings) keep theirs. */
    static final Printer.FieldOrder SCHEMA_ORDER = (context, key) -> {
        FieldTable t = LanguageFields.table(context);
        return t == null ? 0 : t.order(key);
    };

    /**
     * The source of {@code winner} (a candidate of {@code search}, whose file lies at
     * {@code root}/{@code search.sourceFile()}) as a file to be written at {@code out}.
     */
    public static String of(Path root, Search search, Plan winner, Path out, List<String> header) throws IOException {
        Path src = root.resolve(search.sourceFile()).toAbsolutePath().normalize();
        Path dir = out.toAbsolutePath().normalize().getParent();
        if (src.equals(out.toAbsolutePath().normalize())) throw new IllegalArgumentException("--emit would overwrite the search's own file " + src);
        ParseResult pr = PlanFileParser.parse(search.sourceFile(), Files.readString(src, StandardCharsets.UTF_8));
        if (!pr.ok()) throw new IllegalStateException("the search's file no longer parses: " + src);
        SourceFile f = pr.file();
        Decl decl = f.decls().stream().filter(d -> d.kind().text().equals("search") && d.name().text().equals(search.name()))
                .findFirst().orElseThrow(() -> new IllegalStateException("search `" + search.name() + "` is not in " + src));
        List<Import> imports = new ArrayList<>();
        for (Import i : f.imports()) imports.add(new Import(rebase(i.path(), src.getParent(), dir), Loc.NONE));
        imports.add(new Import(relative(dir, src), Loc.NONE));
        Set<String> taken = new HashSet<>();
        for (Decl d : f.decls()) taken.add(d.name().text());
        String name = search.name() + "_best";
        for (int k = 2; taken.contains(name); k++) name = search.name() + "_best" + k;
        List<Entry> entries = new ArrayList<>();
        for (Entry e : decl.body().entries()) if (kept(e.key().text())) entries.add(e);
        if (winner.disaggregated()) {
            // A pool winner: both pools with the instance layout, their instance counts and the connector.
            for (var pool : List.of(winner.disagg().prefill(), winner.disagg().decode())) {
                Body body = new Body(List.of(parallel(pool.parallel(), winner.model().isMoe()), number("replicas", pool.replicas())), Loc.NONE);
                entries.add(new Entry(id("pool"), List.of(seq(new Name(pool.role().id(), Loc.NONE))), body, Loc.NONE));
            }
            entries.add(new Entry(id("kv_transfer"), List.of(), new Body(List.of(word("connector", winner.disagg().connector())), Loc.NONE), Loc.NONE));
        } else {
            entries.add(parallel(winner.parallel(), winner.model().isMoe()));
        }
        entries.add(engine(winner.engine()));
        Decl plan = new Decl(id("plan"), id(name), null, new Body(entries, Loc.NONE), Loc.NONE);
        return Printer.print(new SourceFile(out.getFileName().toString(), imports, List.of(plan), Loc.NONE), header, SCHEMA_ORDER);
    }

    static Entry parallel(Parallel p, boolean moe) {
        List<Entry> es = new ArrayList<>();
        es.add(number("dp", p.dp()));
        es.add(number("tp", p.tp()));
        es.add(number("pp", p.pp()));
        if (moe || p.ep() > 1) es.add(number("ep", p.ep()));
        if (p.dpAttention()) es.add(word("dp_attention", "true"));
        return new Entry(id("parallel"), List.of(), new Body(es, Loc.NONE), Loc.NONE);
    }

    /** The engine block as the plan writes it: its kind, the release it names, and the settings it sets. */
    static Entry engine(EngineBlock e) {
        List<Entry> es = new ArrayList<>();
        if (e.version() != null) es.add(new Entry(id("version"), List.of(seq(new Str(e.version(), Loc.NONE))), null, Loc.NONE));
        for (Map.Entry<String, Object> s : e.settings().entrySet()) {
            Object v = s.getValue();
            Value val = v instanceof Boolean b ? new Name(b.toString(), Loc.NONE)
                    : v instanceof Number n ? quantity(n)
                    : new Name(String.valueOf(v), Loc.NONE);
            es.add(new Entry(id(s.getKey()), List.of(seq(val)), null, Loc.NONE));
        }
        return new Entry(id("engine"), List.of(seq(new Name(e.kind().id(), Loc.NONE))), new Body(es, Loc.NONE), Loc.NONE);
    }

    static Quantity quantity(Number n) {
        BigDecimal d = n instanceof Double x ? BigDecimal.valueOf(x).stripTrailingZeros() : BigDecimal.valueOf(n.longValue());
        String text = d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
        return new Quantity(d, text, null, Loc.NONE);
    }

    static Entry number(String key, long v) {
        return new Entry(id(key), List.of(seq(quantity(v))), null, Loc.NONE);
    }

    static Entry word(String key, String w) {
        return new Entry(id(key), List.of(seq(new Name(w, Loc.NONE))), null, Loc.NONE);
    }

    static Seq seq(Value v) {
        return new Seq(List.of(v), Loc.NONE);
    }

    static Ident id(String s) {
        return new Ident(s, Loc.NONE);
    }

    /** A relative import of the search's file, as seen from the folder the plan is written to. */
    static String rebase(String path, Path from, Path to) {
        if (path.startsWith("std:")) return path;
        return relative(to, from.resolve(path).normalize());
    }

    static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }
}
