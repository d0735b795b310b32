package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.Body;
import dev.shardplan.ast.Nodes.Entry;
import dev.shardplan.ast.Nodes.Name;
import dev.shardplan.ast.Nodes.Seq;
import dev.shardplan.ast.Nodes.Str;
import dev.shardplan.diag.Code;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Severity;
import dev.shardplan.diag.Span;
import dev.shardplan.diag.Suppression;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code allow CODE "reason"} entries of a plan or search: a reviewed finding the team
 * accepts. The entry may repeat (one line per code) and one entry may list several
 * {@code CODE "reason"} pairs separated by commas. Codes are written by id ({@code SP0403}) or
 * by name ({@code capacity-trap}). Only warnings and notes can be allowed: an {@code allow} of
 * an error, of an unknown code, or without a reason is itself an error (SP0213), so nothing
 * hides a plan that cannot run.
 */
final class Allows {
    private Allows() {}

    static final String KEY = "allow";

    /** The suppressions read, and the body without its {@code allow} entries (for the field table). */
    record Read(List<Suppression> allows, Body rest) {}

    static Read read(String what, Body body, Diagnostics diags) {
        if (body == null) return new Read(List.of(), null);
        List<Entry> rest = new ArrayList<>();
        Map<String, Suppression> byCode = new LinkedHashMap<>();
        for (Entry e : body.entries()) {
            if (!e.key().text().equals(KEY)) {
                rest.add(e);
                continue;
            }
            if (e.body() != null) {
                diags.add(Diagnostic.of(Codes.BAD_ALLOW, e.body().span(), "`allow` does not take a block")
                        .help("write `allow SP0403 \"why this finding is accepted\"`").build());
            }
            if (e.values().isEmpty()) {
                diags.add(Diagnostic.of(Codes.BAD_ALLOW, e.span(), "`allow` names no diagnostic code")
                        .help("write `allow SP0403 \"why this finding is accepted\"`").build());
            }
            for (Seq s : e.values()) {
                Suppression sup = one(what, s, diags);
                if (sup == null) continue;
                Suppression prev = byCode.putIfAbsent(sup.code().id(), sup);
                if (prev != null) {
                    diags.add(Diagnostic.of(Codes.BAD_ALLOW, s.span(), sup.code().id() + " is allowed twice in " + what)
                            .label(prev.span(), "first allowed here")
                            .help("keep one `allow " + sup.code().id() + "` with the reason").build());
                }
            }
        }
        return new Read(List.copyOf(byCode.values()), new Body(rest, body.loc()));
    }

    /** One {@code CODE "reason"} pair, or null after reporting what is wrong with it. */
    private static Suppression one(String what, Seq s, Diagnostics diags) {
        var items = s.items();
        if (!(items.get(0) instanceof Name n)) {
            diags.add(Diagnostic.of(Codes.BAD_ALLOW, items.get(0).span(), "`allow` takes a diagnostic code, such as `SP0403`")
                    .help("write `allow SP0403 \"why this finding is accepted\"`").build());
            return null;
        }
        Code code = Suppression.codeOf(n.text());
        if (code == null) {
            diags.add(Diagnostic.of(Codes.BAD_ALLOW, n.span(), "unknown diagnostic code `" + n.text() + "`")
                    .help(nearName(n.text()) != null ? "did you mean `" + nearName(n.text()) + "`?"
                            : "`shardplan explain --list` lists the codes").build());
            return null;
        }
        if (code.severity() == Severity.ERROR) {
            diags.add(Diagnostic.of(Codes.BAD_ALLOW, n.span(), "`allow` cannot suppress " + code.id() + " (" + code.name()
                            + "): it is an error, and an error means the plan cannot run as written")
                    .note("only warnings and notes can be allowed")
                    .help("fix what " + code.id() + " reports (`shardplan explain " + code.id() + "`) and remove this `allow`").build());
            return null;
        }
        Str reason = items.size() >= 2 && items.get(1) instanceof Str r ? r : null;
        if (reason == null || reason.value().isBlank() || items.size() > 2) {
            Span at = items.size() > 2 ? items.get(2).span() : reason != null ? reason.span() : n.span();
            diags.add(Diagnostic.of(Codes.BAD_ALLOW, at, items.size() > 2 ? "`allow " + code.id() + "` takes one reason string"
                            : "`allow " + code.id() + "` in " + what + " needs a reason")
                    .note("the reason is shown wherever the finding is reported as suppressed, for whoever reviews it next")
                    .help("write `allow " + code.id() + " \"why this finding is accepted\"`").build());
            return null;
        }
        return new Suppression(code, reason.value().strip(), s.span());
    }

    private static String nearName(String text) {
        if (text.matches("(?i)sp\\d+")) return null;
        return Names.nearest(text, Codes.all().stream().map(Code::name).toList());
    }
}
