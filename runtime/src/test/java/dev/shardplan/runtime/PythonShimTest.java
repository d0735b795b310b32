package dev.shardplan.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the shim's Python test suite (CPU, gloo) under Maven, so that `mvn verify` covers it:
 * plan validation, kernels, checkpoint formats, a mutation per architecture feature, every
 * family's checkpoint names, failure handling and bench.
 */
class PythonShimTest {
    @Test
    void shimTestSuitePasses() throws Exception {
        Python.requireTorch();
        int code = Python.run(List.of("-m", "unittest", "discover", "-s", "tests"), 12);
        assertEquals(0, code, code == -1 ? "python shim tests timed out" : "python shim tests failed; see the output above");
    }
}
