package dev.shardplan.lsp;

import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.SourceFile;
import dev.shardplan.engine.EngineSpec;
import dev.shardplan.engine.Engines;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Setting;
import dev.shardplan.model.EngineKind;
import dev.shardplan.model.Target;
import dev.shardplan.resolve.LanguageFields;
import dev.shardplan.resolve.Loader;
import dev.shardplan.units.Dimension;
import dev.shardplan.units.Units;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionItemKind;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.Position;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Completion from where the cursor is: declaration kinds at the top level, the field names of the
 * enclosing block (engine settings of the engine and release the block names), std modules in an
 * import, declared names after a field that names one, targets after {@code emit}, units after a
 * number.
 */
final class Completions {
    private Completions() {}

    private static final Pattern NUMBER_BEFORE = Pattern.compile("(?:^|[\\s(,])(-?[0-9][0-9_.]*(?:[eE][-+]?[0-9]+)?[kKM]?)\\s+[A-Za-z%/µ]*$");

    static List<CompletionItem> at(Snapshot s, Snapshot scope, Position pos) {
        SourceFile ast = scope == null || scope.module() == null ? null : scope.module().ast();
        TextIndex t = s.text();
        String text = t.text();
        int cu = codeUnit(t, pos);
        int lineStart = text.lastIndexOf('\n', Math.max(0, cu - 1)) + 1;
        String before = text.substring(lineStart, cu);
        List<CompletionItem> out = new ArrayList<>();

        // Inside an import's string: std modules.
        if (before.matches("\\s*import\\s+\"[^\"]*")) {
            for (String m : Loader.stdModules()) out.add(item(m, CompletionItemKind.Module, "standard library module", null));
            return out;
        }
        if (NUMBER_BEFORE.matcher(before).find()) {
            units(out);
            return out;
        }
        int offset = t.offset(pos);
        // Blocks are read from the tokens before the cursor, so completion works on text that does
        // not parse yet; the AST (when there is one) only says which fields are already written.
        Lexical lex = Lexical.before(text.substring(0, cu));
        Ast.Context ctx = ast == null ? null : Ast.context(ast, offset);
        boolean atKey = lex.statement().isEmpty() || (lex.statement().size() == 1 && lex.typingWord());
        if (lex.frames().isEmpty()) {
            if (atKey) {
                for (String k : LanguageFields.kinds()) item(out, k, CompletionItemKind.Keyword, "declaration", k + " ${1:name} {\n  $0\n}");
                out.add(snippet(item("import", CompletionItemKind.Keyword, "import a file or std module", null), "import \"$0\""));
            }
            return out;
        }
        String context = lex.context();
        Lexical.Frame last = lex.frames().get(lex.frames().size() - 1);
        EngineKind engine = lex.frames().size() >= 2 && last.key().equals("engine") ? engineKind(last.arg()) : null;
        Entry engineEntry = ctx != null && !ctx.path().isEmpty() && ctx.path().get(ctx.path().size() - 1).key().text().equals("engine")
                ? ctx.path().get(ctx.path().size() - 1) : null;
        if (atKey) {
            Set<String> present = new TreeSet<>();
            if (ctx != null && ctx.decl() != null && ctx.key().equals(context)) for (Entry e : entriesOf(ctx)) present.add(e.key().text());
            if (engine != null) {
                settings(out, engine, engineEntry, present);
            } else {
                for (String f : LanguageFields.of(context)) {
                    if (present.contains(f)) continue;
                    FieldDocs.Doc d = FieldDocs.of(context, f);
                    out.add(item(f, CompletionItemKind.Field, d == null || d.unit().equals("-") ? context : d.unit(),
                            d == null ? null : d.doc()));
                }
            }
            return out;
        }
        String key = lex.statement().get(0);
        // A value: what the key names.
        if (key.equals("engine") && !last.key().equals("engine")) {
            for (EngineKind k : EngineKind.values()) out.add(item(k.id(), CompletionItemKind.EnumMember, "engine", Engines.spec(k).title()));
            return out;
        }
        if (key.equals("emit")) {
            for (Target tg : Target.values()) out.add(item(tg.id(), CompletionItemKind.EnumMember, "target", null));
            return out;
        }
        if (engine != null) {
            Setting st = setting(engine, engineEntry, key);
            if (st != null) for (String c : st.choices()) out.add(item(c, CompletionItemKind.EnumMember, key, null));
            return out;
        }
        Map<String, Snapshot.Located> names = new LinkedHashMap<>();
        for (Snapshot.Located l : (scope == null ? s : scope).scope()) {
            if (l.kind().equals(key) || (l.kind() + "s").equals(key)) names.putIfAbsent(l.name(), l);
        }
        for (Snapshot.Located l : names.values()) {
            String fig = Hovers.figures(scope == null ? s : scope, l.kind(), l.name(), l.view().id());
            out.add(item(l.name(), CompletionItemKind.Reference, l.kind() + " in " + l.view().id(), fig));
        }
        return out;
    }

    private static int codeUnit(TextIndex t, Position pos) {
        String text = t.text();
        int line = 0, i = 0;
        while (line < pos.getLine() && i < text.length()) {
            int nl = text.indexOf('\n', i);
            if (nl < 0) { i = text.length(); break; }
            i = nl + 1;
            line++;
        }
        int end = text.indexOf('\n', i);
        if (end < 0) end = text.length();
        return Math.min(i + Math.max(0, pos.getCharacter()), end);
    }

    private static List<Entry> entriesOf(Ast.Context ctx) {
        if (!ctx.path().isEmpty()) return ctx.path().get(ctx.path().size() - 1).body().entries();
        return ctx.decl().body() == null ? List.of() : ctx.decl().body().entries();
    }

    private static EngineKind engineKind(String id) {
        for (EngineKind k : EngineKind.values()) if (k.id().equals(id)) return k;
        return null;
    }

    /** The release an engine block names with {@code version "..."}, else the newest. */
    private static Release release(EngineSpec spec, Entry engine) {
        if (engine == null || engine.body() == null) return spec.newest();
        for (Entry e : engine.body().entries()) {
            if (!e.key().text().equals("version") || e.values().isEmpty() || e.values().get(0).items().isEmpty()) continue;
            if (e.values().get(0).items().get(0) instanceof dev.shardplan.ast.Nodes.Str v) return spec.release(v.value()).orElse(spec.newest());
        }
        return spec.newest();
    }

    private static Setting setting(EngineKind k, Entry engine, String key) {
        EngineSpec spec = Engines.spec(k);
        return spec.setting(release(spec, engine), key).orElse(null);
    }

    private static void settings(List<CompletionItem> out, EngineKind k, Entry engine, Set<String> present) {
        EngineSpec spec = Engines.spec(k);
        Release r = release(spec, engine);
        for (Setting st : spec.settings(r)) {
            if (present.contains(st.name())) continue;
            out.add(item(st.name(), CompletionItemKind.Property, spec.title() + " " + r.version() + ", " + st.kind().name().toLowerCase(java.util.Locale.ROOT), st.doc()));
        }
        if (!present.contains("version")) out.add(item("version", CompletionItemKind.Property, "engine release", "the release the memory model follows"));
    }

    private static void units(List<CompletionItem> out) {
        Set<String> seen = new TreeSet<>();
        for (Map.Entry<String, Dimension> u : Units.symbols().entrySet()) {
            if (seen.add(u.getKey())) out.add(item(u.getKey(), CompletionItemKind.Unit, u.getValue().name().toLowerCase(java.util.Locale.ROOT), null));
            // A size over a time is a bandwidth: GB/s, Gb/s, GiB/s ...
            if (u.getValue() == Dimension.BYTES && seen.add(u.getKey() + "/s")) {
                out.add(item(u.getKey() + "/s", CompletionItemKind.Unit, "bandwidth", null));
            }
        }
        for (String r : List.of("tokens/s", "req/s")) if (seen.add(r)) out.add(item(r, CompletionItemKind.Unit, "rate", null));
    }

    private static void item(List<CompletionItem> out, String label, CompletionItemKind kind, String detail, String snippet) {
        out.add(snippet(item(label, kind, detail, null), snippet));
    }

    private static CompletionItem snippet(CompletionItem c, String snippet) {
        c.setInsertText(snippet);
        c.setInsertTextFormat(org.eclipse.lsp4j.InsertTextFormat.Snippet);
        return c;
    }

    static CompletionItem item(String label, CompletionItemKind kind, String detail, String doc) {
        CompletionItem c = new CompletionItem(label);
        c.setKind(kind);
        c.setDetail(detail);
        if (doc != null && !doc.isEmpty()) c.setDocumentation(new MarkupContent(MarkupKind.MARKDOWN, doc));
        return c;
    }
}
