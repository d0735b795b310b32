package dev.shardplan.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every emitted plan.json (fixtures and plans/) validates against docs/plan.schema.json. */
class PlanSchemaTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static JsonSchema schema;

    @BeforeAll
    static void load() throws Exception {
        JsonNode s = JSON.readTree(Files.readString(Path.of("..", "docs", "plan.schema.json")));
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(s);
    }

    @Test
    void everyEmittedPlanJsonValidates() throws Exception {
        List<List<EmitInput>> sets = new ArrayList<>();
        sets.add(EmitTesting.load(EmitTesting.FIXTURES, "plans"));
        if (Files.isDirectory(Path.of("..", "plans"))) sets.add(EmitTesting.load(Path.of(".."), "plans"));
        int checked = 0, plans = 0;
        for (List<EmitInput> set : sets) {
            Emit.Rendered r = EmitTesting.render(set);
            plans += r.plans().size();
            for (var e : r.plans().entrySet()) {
                for (OutputFile f : e.getValue()) {
                    if (!f.path().equals("plan.json")) continue;
                    Set<ValidationMessage> errors = schema.validate(JSON.readTree(f.content()));
                    assertEquals(Set.of(), errors, e.getKey() + "/plan.json");
                    checked++;
                }
            }
        }
        assertEquals(plans, checked, "every plan has a plan.json");
    }

    @Test
    void aPlanJsonWithPredictionsValidates() throws Exception {
        EmitInput in = EmitTesting.byName(EmitTesting.load(EmitTesting.FIXTURES, "plans")).get("llama70b_tp4_dp2");
        var pred = dev.shardplan.api.Predictions.simulate(in.plan(), dev.shardplan.predict.Predictor.DEFAULT_SEED);
        ObjectNode tree = PlanJsonEmitter.tree(in.withPrediction(pred));
        assertTrue(tree.has("predictions"));
        assertEquals(Set.of(), schema.validate(JSON.readTree(tree.toString())));
        assertFalse(PlanJsonEmitter.tree(in).has("predictions"));
    }

    @Test
    void theSchemaRejectsAPlanJsonWithoutRanksOrWithAWrongVersion() throws Exception {
        EmitInput in = EmitTesting.load(EmitTesting.FIXTURES, "plans").get(0);
        ObjectNode good = PlanJsonEmitter.tree(in);
        assertTrue(schema.validate(JSON.readTree(good.toString())).isEmpty());
        ObjectNode noRanks = good.deepCopy();
        noRanks.remove("ranks");
        assertFalse(schema.validate(noRanks).isEmpty());
        ObjectNode v2 = good.deepCopy();
        v2.put("version", 2);
        assertFalse(schema.validate(v2).isEmpty());
        ObjectNode badRange = good.deepCopy();
        ((ObjectNode) badRange.withArray("ranks").get(0)).putArray("layers").add(0);
        assertFalse(schema.validate(badRange).isEmpty());
    }
}
