package dev.shardplan.emit;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/**
 * Every target on single- and multi-node plans (src/test/resources/emit/plans) against the
 * expected files in src/test/resources/emit/golden. Regenerate after an intended change with
 * -Dshardplan.golden.update=true.
 */
class GoldenTest {
    static final String REGENERATE = "mvn -o -B -q -pl compiler -am test -Dtest=GoldenTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dshardplan.golden.update=true";

    @Test
    void everyTargetMatchesItsGoldenFiles() throws Exception {
        var rendered = EmitTesting.render(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
        EmitTesting.compare(rendered.plans(), EmitTesting.FIXTURES.resolve("golden"), REGENERATE);
    }

    static Path golden() {
        return EmitTesting.FIXTURES.resolve("golden");
    }
}
