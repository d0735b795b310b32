package dev.shardplan.resolve;

import java.util.regex.Pattern;

/**
 * What a string must look like for the role it plays in a launch: a host name in an mpirun host
 * list, a model path that vllm serve takes as its positional argument, an image reference a
 * container runtime pulls. Shell quoting already hands every string over literally; these rules
 * keep a value from changing what the launcher reads it as: a host with a comma adds hosts to
 * mpirun's list, a model path starting with {@code -} becomes an option. Each rule returns why
 * the value does not fit, or null when it does.
 */
public final class Roles {
    private Roles() {}

    /** One RFC 1123 label: letters, digits and '-', not at either end, 1..63 characters. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** Hugging Face repository ids: [org/]name, letters, digits, '-', '_', '.', at most 96 characters each, no "--" or "..". */
    private static final Pattern HF_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    /** The distribution/reference grammar of image references (the one Docker and containerd parse). */
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern IMAGE = Pattern.compile(
            "(?:(?<domain>" + DOMAIN_PART + "(?:\\." + DOMAIN_PART + ")*(?::[0-9]+)?)/)?"
                    + "(?<path>" + COMPONENT + "(?:/" + COMPONENT + ")*)"
                    + "(?::(?<tag>[\\w][\\w.-]{0,127}))?"
                    + "(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?");
    /** Interface names NCCL and Gloo take: names or prefixes, a list with ',', '^' to exclude, '=' for exact. */
    private static final Pattern NIC = Pattern.compile("[=^]?[A-Za-z0-9_.:-]{1,32}(,[A-Za-z0-9_.:-]{1,32}){0,15}");

    /** A host name (RFC 1123, at most 253 characters) or an IPv4 literal. */
    public static String host(String s) {
        if (s.isEmpty()) return "is empty";
        if (IPV4.matcher(s).matches()) return null;
        if (s.length() > 253) return "is longer than the 253 characters of a host name";
        if (s.indexOf(',') >= 0) return "holds a comma, which would add a host to mpirun's --host list";
        if (s.indexOf(':') >= 0) return "holds a ':', which host lists read as a slot count or port";
        for (String label : s.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return "is not a host name: each dot-separated part has letters, digits and '-' (not first or last), 1 to 63 of them (RFC 1123)";
            }
        }
        return null;
    }

    /** A model path (a folder, absolute or relative) or a Hugging Face id; never an option. */
    public static String modelPath(String s) {
        if (s.isEmpty()) return "is empty";
        if (s.startsWith("-")) return "starts with '-', so the launcher would read it as an option";
        if (!s.strip().equals(s)) return "starts or ends with white space";
        if (s.contains("//") && !s.matches("[a-z0-9+.-]+://.*")) return "has an empty path segment (//)";
        return null;
    }

    /** A Hugging Face repository id, {@code org/name} (or a bare legacy {@code name}). */
    public static String hfId(String s) {
        if (s.isEmpty()) return "is empty";
        if (s.startsWith("-")) return "starts with '-', so the launcher would read it as an option";
        String[] parts = s.split("/", -1);
        if (parts.length > 2) return "has more than one '/': a Hugging Face id is org/name";
        for (String p : parts) {
            if (!HF_PART.matcher(p).matches() || p.contains("--") || p.contains("..") || p.endsWith(".") || p.endsWith("-")) {
                return "is not a Hugging Face id: org/name of letters, digits, '-', '_' and '.', at most 96 each, no \"--\" or \"..\"";
            }
        }
        return null;
    }

    /** A container image reference: [registry[:port]/]path[:tag][@digest], at most 255 characters before the tag. */
    public static String image(String s) {
        if (s.isEmpty()) return "is empty";
        var m = IMAGE.matcher(s);
        if (!m.matches()) {
            return "is not an image reference: [registry[:port]/]name[:tag][@sha256:digest], lowercase name components";
        }
        String name = (m.group("domain") == null ? "" : m.group("domain") + "/") + m.group("path");
        if (name.length() > 255) return "has a name longer than 255 characters";
        return null;
    }

    /** The name the API serves the model under: printable, not an option, no white space at the ends. */
    public static String servedName(String s) {
        if (s.isEmpty()) return "is empty";
        if (s.startsWith("-")) return "starts with '-', so the launcher would read it as an option";
        if (!s.strip().equals(s)) return "starts or ends with white space";
        return null;
    }

    /** NCCL_SOCKET_IFNAME / GLOO_SOCKET_IFNAME: interface names or prefixes ("eth0", "^lo,docker"). */
    public static String networkInterface(String s) {
        if (!NIC.matcher(s).matches()) {
            return "is not an interface name or list (letters, digits, '_', '.', ':', '-', with ',' between names, '^' to exclude)";
        }
        return null;
    }
}
