package dev.shardplan.maven;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The m2e lifecycle mapping names every goal that does work in a build (all but help), each to be
 * executed on incremental builds, so a new goal cannot be forgotten there. The goals are read from
 * the plugin descriptor that maven-plugin-plugin generated for this build.
 */
class LifecycleMappingTest {
    static Document xml(Path p) throws Exception {
        var f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(p.toFile());
    }

    @Test
    void everyWorkingGoalIsExecutedByM2e() throws Exception {
        Path descriptor = Path.of("target/classes/META-INF/maven/plugin.xml");
        assertTrue(Files.isRegularFile(descriptor), "the plugin descriptor is generated before the tests");
        Set<String> goals = new TreeSet<>();
        NodeList mojos = xml(descriptor).getElementsByTagName("mojo");
        for (int i = 0; i < mojos.getLength(); i++) {
            Element m = (Element) mojos.item(i);
            String goal = m.getElementsByTagName("goal").item(0).getTextContent().strip();
            if (!goal.equals("help")) goals.add(goal);
        }
        assertTrue(goals.contains("check") && goals.contains("compile"), goals.toString());

        Document map = xml(Path.of("src/main/resources/META-INF/m2e/lifecycle-mapping-metadata.xml"));
        Set<String> mapped = new TreeSet<>();
        NodeList execs = map.getElementsByTagName("pluginExecution");
        for (int i = 0; i < execs.getLength(); i++) {
            Element e = (Element) execs.item(i);
            Element exec = (Element) e.getElementsByTagName("execute").item(0);
            assertTrue(exec != null, "each goal is executed, not ignored");
            assertEquals("true", exec.getElementsByTagName("runOnIncremental").item(0).getTextContent().strip());
            NodeList gs = e.getElementsByTagName("goal");
            for (int j = 0; j < gs.getLength(); j++) mapped.add(gs.item(j).getTextContent().strip());
        }
        assertEquals(goals, mapped);
    }
}
