package dev.shardplan.engine;

/**
 * The router that joins a disaggregated SGLang plan's prefill and decode servers: sglang-router
 * (SGLang's model gateway), the one home of its release, entry point and flag spellings. Read in
 * sgl-model-gateway/bindings/python at the SGLang tags v0.5.10 (1519acf3) and v0.5.18 (71de97b2),
 * which both carry sglang-router 0.3.2 (pyproject.toml, version.py): src/sglang_router/router_args.py
 * (RouterArgs.add_cli_args with use_router_prefix=False, as launch_router.py parses).
 */
public final class SglangRouter {
    private SglangRouter() {}

    /** The router release the flags were read from; pip's package name is sglang-router. */
    public static final String RELEASE = "0.3.2";
    public static final String PACKAGE = "sglang-router";
    /** The entry point: python3 -m sglang_router.launch_router (launch_router.py main). */
    public static final String MODULE = "sglang_router.launch_router";

    /** Prefill/decode mode: requests go to a prefill server, then to a decode server. */
    public static final String PD_DISAGGREGATION = "--pd-disaggregation";
    /** "--prefill URL [BOOTSTRAP_PORT]", once per prefill server (nargs="+", action="append"). */
    public static final String PREFILL = "--prefill";
    /** "--decode URL", once per decode server (nargs=1, action="append"). */
    public static final String DECODE = "--decode";
    public static final String HOST = "--host";
    public static final String PORT = "--port";
    /**
     * The router's own port: its default (RouterArgs.port), written out so that the script says
     * where clients call. The servers listen at the plan's API port plus their first GPU on the
     * node, so a router on a server's node does not meet them unless the plan's port is near it.
     */
    public static final int ROUTER_PORT = 30000;
}
