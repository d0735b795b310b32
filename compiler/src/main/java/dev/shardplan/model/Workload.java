package dev.shardplan.model;

import dev.shardplan.diag.Span;

/**
 * Requests to serve. {@code rate} is requests per second, or 0 for an offline batch (all
 * requests at t=0). {@code concurrency} > 0 caps the requests in flight (a closed-loop client).
 * {@code maxLength} bounds prompt + output tokens of one request (it becomes max_model_len).
 * {@code prefix}: the first tokens of every prompt are the same (a shared system prompt; a prompt
 * shorter than it shares all but its last token), 0 for none. {@code sampling}: how requests pick
 * their tokens. {@code burstiness}: the shape of the gamma distribution the gaps between arrivals
 * follow at {@code rate}, as vLLM's {@code bench serve --burstiness} draws them: 1 is a Poisson
 * process, below 1 burstier, above 1 more regular; the mean rate is {@code rate} whatever it is.
 */
public record Workload(String name, long requests, double rate, int concurrency, LengthDist prompt, LengthDist output,
                       long maxLength, long prefix, Sampling sampling, double burstiness, Span span) {
    public Workload {
        if (prefix < 0) throw new IllegalArgumentException("prefix must be >= 0: " + prefix);
        if (!(burstiness > 0 && burstiness < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("burstiness must be > 0: " + burstiness);
        if (sampling == null) sampling = Sampling.GREEDY;
    }

    /** A workload without a shared prefix, decoded greedily, with Poisson arrivals. */
    public Workload(String name, long requests, double rate, int concurrency, LengthDist prompt, LengthDist output,
                    long maxLength, Span span) {
        this(name, requests, rate, concurrency, prompt, output, maxLength, 0, Sampling.GREEDY, 1, span);
    }

    public boolean offline() {
        return rate <= 0;
    }

    /** prompt + output at the p-quantile of each, capped at maxLength (a conservative sum). */
    public long lengthAt(double p) {
        return Math.min(maxLength, prompt.quantile(p) + output.quantile(p));
    }

    /** The same arrivals and prompts with other output lengths (a prefill pool's: one token each). */
    public Workload withOutput(LengthDist o) {
        return new Workload(name, requests, rate, concurrency, prompt, o, maxLength, prefix, sampling, burstiness, span);
    }

    /** The same requests with another sampling. */
    public Workload withSampling(Sampling s) {
        return new Workload(name, requests, rate, concurrency, prompt, output, maxLength, prefix, s, burstiness, span);
    }

    /**
     * How requests pick their tokens: the sampling parameters a client sends (or the model's
     * generation_config.json when it sends none, which vLLM applies by default).
     */
    public enum Sampling {
        /** temperature 0: the engine takes the argmax and runs no top-k/top-p kernel (benchmark clients' default). */
        GREEDY,
        /** nucleus sampling (top_p < 1, as the reasoning models' generation configs ask): a top-k/top-p kernel per step. */
        TOP_P;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
