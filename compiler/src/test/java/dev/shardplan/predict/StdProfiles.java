package dev.shardplan.predict;

import dev.shardplan.model.EfficiencyProfile;
import dev.shardplan.model.EngineKind;
import dev.shardplan.resolve.StdLibrary;

/**
 * std:efficiency's profiles for tests that build plans and searches by hand (a resolved plan or
 * search gets its profile from the resolver; nothing in predict loads the standard library).
 */
final class StdProfiles {
    private StdProfiles() {}

    /** The standard library's profile for a GPU (by declaration name, "H200_SXM") and an engine. */
    static EfficiencyProfile profile(String gpuName, EngineKind engine) {
        return StdLibrary.efficiency(gpuName, engine);
    }

    /** That profile's constants (fitted in docs/calibration.md). */
    static Efficiency defaults(String gpuName, EngineKind engine) {
        return Efficiency.of(profile(gpuName, engine));
    }
}
