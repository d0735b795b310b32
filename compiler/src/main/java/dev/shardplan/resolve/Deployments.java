package dev.shardplan.resolve;

import dev.shardplan.ast.Nodes.*;
import dev.shardplan.diag.Codes;
import dev.shardplan.diag.Diagnostic;
import dev.shardplan.diag.Diagnostics;
import dev.shardplan.diag.Span;
import dev.shardplan.model.Deploy;
import dev.shardplan.model.Model;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** `deploy { model_path "..."; image "..."; hosts "a", "b"; port 8000; ... }`, all optional. */
final class Deployments {
    private Deployments() {}

    private static final Set<String> FIELDS = Set.of("model_path", "served_name", "image", "hosts", "port", "master_port",
            "namespace", "partition", "account", "network_interface");

    private static final Map<String, String> EXAMPLES = Map.of("model_path", "\"/models/llama-3.1-8b\" or \"meta-llama/Llama-3.1-8B\"",
            "served_name", "\"llm\"", "image", "\"vllm/vllm-openai:v0.11.0\"", "network_interface", "\"eth0\"",
            "hosts", "\"node-0.cluster.local\", \"10.0.0.2\"");

    private static final Map<String, String> ROLES = Map.of("model_path", "model path", "served_name", "served name", "image",
            "image reference", "network_interface", "interface name", "hosts", "host name");

    /** Applies the role's rule to a value (null: not given); false, with SP0215, when it does not fit. */
    private static boolean role(Fields df, String key, String value, java.util.function.Function<String, String> rule, Diagnostics diags) {
        if (value == null) return true;
        String why = rule.apply(value);
        if (why == null) return true;
        diags.add(Diagnostic.of(Codes.INVALID_FOR_ROLE, df.span(key), "deploy `" + key + "` `" + Resolver.abbreviate(value, 60) + "` " + why)
                .note("a launcher reads this value in a fixed place; one that is no " + ROLES.get(key) + " would change what it runs")
                .help("write e.g. " + EXAMPLES.get(key)).build());
        return false;
    }

    static Deploy deploy(Fields f, Map<String, Span> spans, Model model, Diagnostics diags) {
        Entry e = f.entry("deploy");
        Fields df = new Fields("deploy", e == null ? Span.NONE : e.span(), e == null ? null : e.body(), FIELDS, diags);
        if (e != null && e.body() == null) {
            diags.add(Diagnostic.of(Codes.TYPE_MISMATCH, e.span(), "`deploy` takes a block")
                    .help("write `deploy { model_path \"/models/llama\"; image \"vllm/vllm-openai:v0.11.0\" }`").build());
            return null;
        }
        for (String k : FIELDS) if (df.has(k)) spans.put("deploy." + k, df.span(k));
        String path = df.string("model_path", false, "model_path \"org/name\"");
        if (path == null) path = model == null || model.hfId() == null ? (model == null ? "" : model.name()) : model.hfId();
        String served = df.string("served_name", false, "served_name \"llm\"");
        String image = df.string("image", false, "image \"vllm/vllm-openai:latest\"");
        List<String> hosts = df.strings("hosts");
        Long port = df.integer("port", 1, 65535, false, "port 8000");
        Long mport = df.integer("master_port", 1, 65535, false, "master_port 29500");
        String ns = df.string("namespace", false, "namespace \"inference\"");
        String part = df.string("partition", false, "partition \"gpu\"");
        String acct = df.string("account", false, "account \"ml\"");
        String nic = df.string("network_interface", false, "network_interface \"eth0\"");
        boolean ok = role(df, "model_path", df.has("model_path") ? path : null, Roles::modelPath, diags)
                & role(df, "served_name", served, Roles::servedName, diags)
                & role(df, "image", image, Roles::image, diags)
                & role(df, "network_interface", nic, Roles::networkInterface, diags);
        for (String h : hosts) ok &= role(df, "hosts", h, Roles::host, diags);
        if (!ok) return null;
        return new Deploy(path, served == null ? "" : served, image == null ? "" : image, hosts, port == null ? 8000 : port.intValue(),
                mport == null ? 29500 : mport.intValue(), ns == null ? "default" : ns, part == null ? "" : part,
                acct == null ? "" : acct, nic == null ? "" : nic);
    }
}
