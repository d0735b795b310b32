package dev.shardplan.diag;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a suppression may hide: warnings and notes of its code, never an error. */
class SuppressionTest {
    static final Code TRAP = Codes.byId("SP0403");
    static final Span AT = Span.of("a.plan", 3, 1, 3, 5, 20, 24);

    static Diagnostic diag(Code c, Severity s, String msg) {
        return Diagnostic.of(c, AT, msg).severity(s).build();
    }

    @Test
    void hidesWarningsOfItsCodeOnly() {
        Suppression allow = new Suppression(TRAP, "reviewed", AT);
        Diagnostic trap = diag(TRAP, Severity.WARNING, "capacity trap");
        Diagnostic other = diag(Codes.byId("SP0606"), Severity.NOTE, "idle gpus");
        Findings f = Findings.split(List.of(trap, other), List.of(allow));
        assertEquals(List.of(other), f.reported());
        assertEquals(List.of(new Suppressed(trap, allow)), f.suppressed());
    }

    /** Even a warning code raised as an error (a stage may escalate) stays reported. */
    @Test
    void neverHidesAnError() {
        Suppression allow = new Suppression(TRAP, "reviewed", AT);
        Diagnostic escalated = diag(TRAP, Severity.ERROR, "capacity trap, escalated");
        Findings f = Findings.split(List.of(escalated), List.of(allow));
        assertEquals(List.of(escalated), f.reported());
        assertTrue(f.suppressed().isEmpty());
    }

    @Test
    void projectListRefusesErrorsUnknownCodesAndMissingReasons() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suppression.project("SP0401", "fits for real")).getMessage()
                .contains("is an error and cannot be suppressed"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suppression.project("SP0499", "x")).getMessage()
                .contains("unknown diagnostic code"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Suppression.project("SP0403", " ")).getMessage()
                .contains("needs a reason"));
        Suppression byName = Suppression.project("capacity-trap", " reviewed ");
        assertEquals(TRAP, byName.code());
        assertEquals("reviewed", byName.reason());
        assertEquals("the project's suppressions", byName.where());
    }

    @Test
    void jsonSaysWhatSuppressedAFinding() {
        Suppression allow = new Suppression(TRAP, "reviewed", AT);
        var o = JsonRenderer.toJson(new Suppressed(diag(TRAP, Severity.WARNING, "capacity trap"), allow));
        assertEquals("SP0403", o.path("code").asText());
        assertEquals("reviewed", o.path("suppressed_by").path("reason").asText());
        assertEquals(3, o.path("suppressed_by").path("span").path("line").asInt());
        String all = JsonRenderer.render(List.of(), List.of(new Suppressed(diag(TRAP, Severity.WARNING, "capacity trap"), allow)));
        assertTrue(all.contains("\"warnings\" : 0"), all);
        assertTrue(all.contains("\"suppressed\" : ["), all);
    }
}
