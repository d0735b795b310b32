package dev.shardplan.engine;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The startup probe's budget against what engines logged: for every start-up in
 * src/test/resources/engine/startup-logs.json that says how long loading its weights and
 * capturing CUDA graphs took, the budget {@link Startup#budgetSeconds} gives a rank of that many
 * weights covers both. Loads slower than {@link Startup#DOWNLOAD_RATE} fetched the weights from
 * the Hub; the generated deployment downloads before the probe starts, so they are not counted.
 */
class StartupBudgetTest {
    static final Pattern LOAD = Pattern.compile("Model loading took ([0-9.]+) GiB(?: memory)? and ([0-9.]+) seconds");
    static final Pattern GRAPHS = Pattern.compile("(?:Graph capturing finished in|Capture cuda graph end. Time elapsed:) ([0-9.]+) s");

    @Test
    void theBudgetCoversEveryLoggedStartUp() throws Exception {
        JsonNode cases = StartupLogValidationTest.load();
        List<String> short_ = new ArrayList<>();
        int counted = 0, downloads = 0;
        for (JsonNode c : cases) {
            double gib = -1, load = -1, graphs = 0;
            for (JsonNode l : c.path("log_excerpt")) {
                Matcher m = LOAD.matcher(l.asText());
                if (m.find() && load < 0) {
                    gib = Double.parseDouble(m.group(1));
                    load = Double.parseDouble(m.group(2));
                }
                Matcher g = GRAPHS.matcher(l.asText());
                if (g.find()) graphs = Math.max(graphs, Double.parseDouble(g.group(1)));
            }
            if (load < 0) continue;
            long bytes = (long) (gib * (1L << 30));
            if (bytes / load < Startup.DOWNLOAD_RATE) {
                downloads++;
                continue;
            }
            counted++;
            long budget = Startup.budgetSeconds(bytes);
            if (load + graphs > budget) short_.add(c.path("id").asText() + ": " + load + " s + " + graphs + " s > " + budget + " s");
        }
        assertEquals(List.of(), short_);
        assertTrue(counted >= 20, "start-ups with load times: " + counted);
        assertTrue(downloads >= 3, "downloads recognised: " + downloads);
    }

    @Test
    void theBudgetIsTheSlowestReadTwiceOverPlusTenMinutes() {
        long gib = 1L << 30;
        assertEquals(600, Startup.budgetSeconds(0));
        // 55.8 GiB (a DeepSeek-R1 rank at EP 16) at 0.11 GiB/s, twice, plus 600 s.
        assertEquals(600 + (long) Math.ceil(2 * 55.8 / 0.11), Startup.budgetSeconds((long) (55.8 * gib)), 1);
    }
}
