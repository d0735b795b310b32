package dev.shardplan.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The start-up archive's training run works: every command succeeds on the packaged plan. */
class TrainTest {
    @Test
    void theTrainingRunSucceeds() {
        assertEquals(java.util.List.of(), Train.run());
    }
}
