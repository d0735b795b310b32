package dev.shardplan.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.shardplan.diag.Jsons;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code search --format json} follows docs/search.schema.json, and its counts add up. */
class SearchJsonTest {
    @Test
    void searchJsonValidatesAgainstItsSchema() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(json.readTree(Files.readString(Path.of("..", "docs", "search.schema.json"))));
        // one search with ranked, pruned and discarded candidates (a 70B on one GPU does not fit)
        Search.Result pruned = Search.run(SearchTest.prunable(), 1, dev.shardplan.api.Predictions.inputs());
        var w = Study.reasoning(50);
        Search.Result small = Search.run(new SearchSpace("r70b", Study.distill70b(), Study.hgxH200(), w, Study.vllm(64), List.of(),
                SearchSpace.Objective.THROUGHPUT_PER_GPU, 2, false, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                java.util.Map.of(), dev.shardplan.diag.Span.NONE, StdProfiles.profile("H200_SXM", dev.shardplan.model.EngineKind.VLLM)),
                1, dev.shardplan.api.Predictions.inputs());
        assertTrue(!small.discarded().isEmpty() && !small.ranked().isEmpty(), Search.human(small));
        String text = Jsons.canonical(Search.toJson(List.of(pruned, small)));
        JsonNode doc = json.readTree(text);
        assertEquals(Set.of(), schema.validate(doc));
        JsonNode first = doc.get("searches").get(0);
        JsonNode counts = first.get("counts");
        assertTrue(counts.get("pruned").asInt() > 0, text);
        assertEquals(counts.get("candidates").asInt(), counts.get("simulated").asInt() + counts.get("pruned").asInt()
                + counts.get("discarded").asInt());
        assertEquals(pruned.winner().plan().name(), first.get("winner").asText());
        assertEquals(1, first.get("ranked").get(0).get("rank").asInt());
        // the schema is strict: an unknown key fails it
        ((com.fasterxml.jackson.databind.node.ObjectNode) first.get("ranked").get(0)).put("surprise", 1);
        assertTrue(!schema.validate(doc).isEmpty());
    }
}
