package dev.shardplan.diag;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one registry of diagnostic codes. Ranges: SP00xx syntax, SP01xx names and imports,
 * SP02xx types, units and values, SP03xx models and Hugging Face import, SP04xx memory and KV
 * capacity, SP05xx placement and interconnect, SP06xx parallelism and launcher rules, SP07xx
 * predictions and SLOs, SP08xx output, SP09xx internal and input files.
 */
public final class Codes {
    private Codes() {}

    // ---- syntax ----
    public static final Code SYNTAX = code("SP0001", "syntax-error", Severity.ERROR, "the file does not follow the grammar");
    public static final Code UNCLOSED = code("SP0002", "unclosed-block", Severity.ERROR, "a block, list or call is not closed");
    public static final Code BAD_CHAR = code("SP0003", "invalid-character", Severity.ERROR, "a character that cannot start any token");
    public static final Code BAD_STRING = code("SP0004", "unterminated-string", Severity.ERROR, "a string literal is not closed on its line");
    public static final Code BAD_NUMBER = code("SP0005", "invalid-number", Severity.ERROR, "a number literal is malformed or out of range");
    public static final Code BAD_ENCODING = code("SP0006", "invalid-encoding", Severity.ERROR, "the file is not valid UTF-8");
    public static final Code TOO_DEEP = code("SP0007", "nesting-too-deep", Severity.ERROR, "blocks are nested deeper than the compiler allows");
    public static final Code BAD_STRING_CHAR = code("SP0008", "invalid-string-character", Severity.ERROR, "a string holds a control character, an unpaired surrogate or a bidirectional override");

    // ---- names and imports ----
    public static final Code UNKNOWN_NAME = code("SP0101", "unknown-name", Severity.ERROR, "a name that is not declared or imported");
    public static final Code DUPLICATE_DECL = code("SP0102", "duplicate-declaration", Severity.ERROR, "two declarations of the same kind share a name");
    public static final Code IMPORT_NOT_FOUND = code("SP0103", "import-not-found", Severity.ERROR, "an imported file or std module does not exist");
    public static final Code IMPORT_CYCLE = code("SP0104", "import-cycle", Severity.ERROR, "files import each other in a cycle");
    public static final Code IMPORT_OUTSIDE = code("SP0105", "import-outside-project", Severity.ERROR, "an import path leaves the project root");
    public static final Code UNKNOWN_KIND = code("SP0106", "unknown-declaration-kind", Severity.ERROR, "a top-level declaration of an unknown kind");
    public static final Code WRONG_KIND = code("SP0107", "wrong-kind", Severity.ERROR, "a name refers to a declaration of another kind");

    // ---- fields, types, units ----
    public static final Code UNKNOWN_FIELD = code("SP0201", "unknown-field", Severity.ERROR, "a field that this declaration does not have");
    public static final Code MISSING_FIELD = code("SP0202", "missing-field", Severity.ERROR, "a required field is absent");
    public static final Code DUPLICATE_FIELD = code("SP0203", "duplicate-field", Severity.ERROR, "a field is given twice");
    public static final Code TYPE_MISMATCH = code("SP0204", "type-mismatch", Severity.ERROR, "a value of the wrong type");
    public static final Code UNIT_MISMATCH = code("SP0205", "unit-mismatch", Severity.ERROR, "a quantity of the wrong dimension");
    public static final Code MISSING_UNIT = code("SP0206", "missing-unit", Severity.ERROR, "a bare number where a quantity is needed");
    public static final Code OUT_OF_RANGE = code("SP0207", "value-out-of-range", Severity.ERROR, "a value outside its allowed range");
    public static final Code BAD_ENUM = code("SP0208", "unknown-option", Severity.ERROR, "a word that is not one of the allowed options");
    public static final Code BAD_DISTRIBUTION = code("SP0209", "invalid-distribution", Severity.ERROR, "a length distribution is malformed");
    public static final Code BAD_DATA_FILE = code("SP0210", "invalid-data-file", Severity.ERROR, "a data file (CSV of lengths) cannot be read");
    public static final Code UNSUPPORTED_RELEASE = code("SP0211", "unsupported-engine-release", Severity.ERROR, "an engine release shardplan has no tables for");
    public static final Code NOT_IN_RELEASE = code("SP0212", "setting-not-in-release", Severity.ERROR, "a setting or value the plan's engine release does not have");
    public static final Code BAD_ALLOW = code("SP0213", "invalid-allow", Severity.ERROR, "an `allow` names an unknown code or an error, or gives no reason");
    public static final Code INVALID_POOLS = code("SP0216", "invalid-pools", Severity.ERROR, "a plan's prefill/decode pools contradict the plan or each other");
    public static final Code UNUSED_ALLOW = code("SP0214", "unused-allow", Severity.WARNING, "an `allow` that suppressed nothing: the finding it accepted no longer occurs");
    public static final Code INVALID_FOR_ROLE = code("SP0215", "invalid-value-for-role", Severity.ERROR, "a string that cannot play its role: host name, model path, Hugging Face id, image, served name, interface");

    // ---- models and Hugging Face import ----
    public static final Code HF_UNSUPPORTED = code("SP0301", "hf-unsupported-architecture", Severity.ERROR, "a config.json of an architecture the importer does not support");
    public static final Code HF_MISSING_FIELD = code("SP0302", "hf-missing-field", Severity.ERROR, "a config.json lacks a field the model needs");
    public static final Code HF_BAD_FILE = code("SP0303", "hf-invalid-config", Severity.ERROR, "a config.json cannot be read or is not valid JSON");
    public static final Code MODEL_INCONSISTENT = code("SP0304", "model-inconsistent", Severity.ERROR, "model fields contradict each other");

    // ---- internal ----
    public static final Code INTERNAL = code("SP0901", "internal-error", Severity.ERROR, "a bug in shardplan; please report it");
    public static final Code FILE_NOT_FOUND = code("SP0902", "file-not-found", Severity.ERROR, "an input path does not exist or cannot be read");
    public static final Code FILE_TOO_LARGE = code("SP0903", "file-too-large", Severity.ERROR, "an input file is larger than the compiler accepts");
    public static final Code RESOURCE_LIMIT = code("SP0904", "resource-limit", Severity.ERROR, "an input needs more memory or time than the compiler has");
    public static final Code TOO_MANY_DIAGNOSTICS = code("SP0905", "too-many-diagnostics", Severity.ERROR, "a file has more diagnostics than are shown");

    private static Code code(String id, String name, Severity s, String summary) {
        return new Code(id, name, s, summary);
    }

    private static volatile Map<String, Code> byId;

    /** Every code declared here or registered by later stages, sorted by id. */
    public static List<Code> all() {
        return List.copyOf(index().values());
    }

    public static Code byId(String id) {
        return index().get(id.toUpperCase(java.util.Locale.ROOT));
    }

    /** Later stages declare their codes in classes listed here, so that the registry stays one. */
    private static final List<String> CODE_HOLDERS = List.of(
            "dev.shardplan.diag.Codes",
            "dev.shardplan.analysis.AnalysisCodes",
            "dev.shardplan.emit.EmitCodes",
            "dev.shardplan.predict.PredictCodes");

    private static Map<String, Code> index() {
        Map<String, Code> m = byId;
        if (m != null) return m;
        Map<String, Code> out = new TreeMap<>();
        for (String holder : CODE_HOLDERS) {
            Class<?> c;
            try {
                c = Class.forName(holder);
            } catch (ClassNotFoundException e) {
                // The holders are part of the compiler jar: one missing is a broken build, not a code to skip.
                throw new IllegalStateException("diagnostic code holder " + holder + " is not on the class path", e);
            }
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == Code.class) {
                    try {
                        Code code = (Code) f.get(null);
                        Code prev = out.put(code.id(), code);
                        if (prev != null && prev != code) throw new IllegalStateException("duplicate code " + code.id());
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        byId = m = Collections.unmodifiableMap(out);
        return m;
    }
}
