package dev.shardplan.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The plan files of a source folder chosen by Ant-style include and exclude patterns
 * ({@code **} any folders, {@code *} part of a name, {@code ?} one character), as Maven users know
 * them from resources and compiler plugins.
 */
final class PlanFiles {
    static final String DEFAULT_INCLUDE = "**/*.plan";

    private PlanFiles() {}

    /** Regular files under {@code dir} matching an include and no exclude, sorted by path. */
    static List<Path> select(Path dir, List<String> includes, List<String> excludes) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Pattern> in = compile(includes == null || includes.isEmpty() ? List.of(DEFAULT_INCLUDE) : includes);
        List<Pattern> ex = compile(excludes == null ? List.of() : excludes);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                if (!Files.isRegularFile(p)) continue;
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (matches(in, rel) && !matches(ex, rel)) out.add(p);
            }
        }
        return out;
    }

    private static boolean matches(List<Pattern> ps, String rel) {
        for (Pattern p : ps) if (p.matcher(rel).matches()) return true;
        return false;
    }

    private static List<Pattern> compile(List<String> globs) {
        return globs.stream().map(PlanFiles::toRegex).map(Pattern::compile).toList();
    }

    /** Ant semantics: {@code **}{@code /} is zero or more folders; a trailing {@code /} means everything below. */
    static String toRegex(String glob) {
        String g = glob.trim().replace('\\', '/');
        if (g.startsWith("/")) g = g.substring(1);
        if (g.endsWith("/")) g = g + "**";
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
                boolean slash = i + 2 < g.length() && g.charAt(i + 2) == '/';
                re.append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                if (Character.isLetterOrDigit(c) || c == '/' || c == '_' || c == ' ') re.append(c);
                else re.append('\\').append(c);
            }
        }
        return re.toString();
    }
}
