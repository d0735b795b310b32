package dev.shardplan.emit;

import dev.shardplan.model.PlanPaths;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.engine.Release;
import dev.shardplan.engine.Version;

import java.util.List;

/** Container images against the engine release the plan's figures and flags are for. */
final class Images {
    private Images() {}

    /**
     * A warning when the plan's image names a release in its tag ("vllm/vllm-openai:v0.9.2") that is
     * not the plan's, or names none at all (":latest" or no tag: the pods of one group could pull
     * different releases); a digest or a custom tag is the user's call and passes.
     */
    static List<Diagnostic> check(EmitInput in) {
        String image = in.deployment().image();
        if (image == null) return List.of();
        int at = image.indexOf('@');
        String ref = at >= 0 ? image.substring(0, at) : image;
        int colon = ref.lastIndexOf(':');
        boolean untagged = colon < 0 || colon < ref.lastIndexOf('/');
        String tag = untagged ? "latest" : ref.substring(colon + 1);
        if (at < 0 && tag.equals("latest")) {
            // A moving tag: pods pulled on different days (a leader and its restarted worker) can run different releases.
            return List.of(Diagnostic.of(EmitCodes.IMAGE_RELEASE_MISMATCH, in.plan().spanOf(PlanPaths.DEPLOY_IMAGE),
                            "image `" + ShellQuote.comment(image) + "` names no release (" + (untagged ? "no tag" : ":latest") + ")")
                    .note("a moving tag lets the pods of one group pull different releases, and flags and KV figures follow " + in.engine().release().label())
                    .help("pin a release tag or a digest, e.g. " + in.engine().release().image()).build());
        }
        if (untagged) return List.of();
        String number = tag.replaceFirst("^v", "").replaceFirst("-.*$", "");
        Version v = Version.parse(number);
        Release r = in.engine().release();
        if (v == null || v.compareTo(r.version()) == 0) return List.of();
        return List.of(Diagnostic.of(EmitCodes.IMAGE_RELEASE_MISMATCH, in.plan().spanOf(PlanPaths.DEPLOY_IMAGE),
                        "image `" + ShellQuote.comment(image) + "` is tagged " + v + ", but the plan is for " + r.label())
                .note("flags, defaults and the KV figures follow " + r.label() + "; another release may reject a flag or size its pool differently")
                .help("set `engine " + r.engine().id() + " { version \"" + v + "\" }` if that release is supported, or use image " + r.image())
                .build());
    }
}
