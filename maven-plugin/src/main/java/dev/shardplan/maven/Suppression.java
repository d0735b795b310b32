package dev.shardplan.maven;

/**
 * One entry of the {@code suppressions} parameter: a warning or note code the project has
 * reviewed and accepts in every plan, and why.
 * <pre>
 * &lt;suppression&gt;
 *   &lt;code&gt;SP0807&lt;/code&gt;
 *   &lt;reason&gt;our images come from the platform team's registry, set at deploy time&lt;/reason&gt;
 * &lt;/suppression&gt;
 * </pre>
 *
 * @since 0.1.0
 */
public class Suppression {
    /** The code, by id ({@code SP0403}) or by name ({@code capacity-trap}); errors cannot be suppressed. */
    private String code;

    /** Why the finding is accepted: shown wherever the finding is reported as suppressed. */
    private String reason;

    public String getCode() {
        return code;
    }

    public void setCode(String code) {
        this.code = code;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    @Override
    public String toString() {
        return code + ": " + reason;
    }
}
