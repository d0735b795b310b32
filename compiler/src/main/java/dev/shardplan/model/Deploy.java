package dev.shardplan.model;

import java.util.List;

/**
 * Where and how to launch: the model path or Hugging Face id the engine loads (null: the model's
 * own {@code hf_id}, if it has one), container image, node host names (first is the head), ports,
 * Kubernetes namespace and Slurm partition, and what a Kubernetes deployment needs around the
 * engine ({@link Kube}). Strings are user data and are always quoted when they reach a shell.
 */
public record Deploy(String modelPath, String servedName, String image, List<String> hosts, int port,
                     int masterPort, String namespace, String partition, String account, String network, Kube kube) {
    public Deploy {
        hosts = List.copyOf(hosts);
        kube = kube == null ? Kube.NONE : kube;
    }

    public Deploy(String modelPath, String servedName, String image, List<String> hosts, int port, int masterPort,
                  String namespace, String partition, String account, String network) {
        this(modelPath, servedName, image, hosts, port, masterPort, namespace, partition, account, network, Kube.NONE);
    }

    /** This deploy block with other Kubernetes settings. */
    public Deploy withKube(Kube k) {
        return new Deploy(modelPath, servedName, image, hosts, port, masterPort, namespace, partition, account, network, k);
    }

    /**
     * The Kubernetes settings of a deploy block, each null (or empty) where the plan leaves it to
     * the emitter's default: the Secret holding the Hugging Face token ("name" or "name/key"), the
     * model cache ("pvc", "pvc:CLAIM", "host:/path", "none") and its size in bytes (0: sized from
     * the checkpoint), the storage class of a generated claim, node labels ("key=value"),
     * tolerations ("key=value:Effect", "key:Effect"), the exclusive-placement topology label of a
     * multi-node group, the RDMA device resource ("none": none), CPU and memory requests per pod
     * (0: sized by the emitter) and the size of /dev/shm in bytes (0: the engine's).
     */
    public record Kube(String hfTokenSecret, String modelCache, long modelCacheBytes, String storageClass,
                       List<String> nodeSelector, List<String> tolerations, String topologyKey, String rdmaResource,
                       int cpu, long memoryBytes, long shmBytes) {
        public static final Kube NONE = new Kube(null, null, 0, null, List.of(), List.of(), null, null, 0, 0, 0);

        public Kube {
            nodeSelector = List.copyOf(nodeSelector);
            tolerations = List.copyOf(tolerations);
        }

        private static final java.util.regex.Pattern LABEL =
                java.util.regex.Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
        private static final java.util.regex.Pattern VALUE = java.util.regex.Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

        /** A toleration written as kubectl taint's "key[=value]:Effect": {key, value or null, effect}, or null when malformed. */
        public static String[] toleration(String t) {
            int colon = t.lastIndexOf(':');
            if (colon <= 0) return null;
            String effect = t.substring(colon + 1), kv = t.substring(0, colon);
            if (!List.of("NoSchedule", "PreferNoSchedule", "NoExecute").contains(effect)) return null;
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq), value = eq < 0 ? null : kv.substring(eq + 1);
            if (!LABEL.matcher(key).matches() || value != null && !VALUE.matcher(value).matches()) return null;
            return new String[] {key, value, effect};
        }

        public Kube withHfTokenSecret(String s) {
            return new Kube(s, modelCache, modelCacheBytes, storageClass, nodeSelector, tolerations, topologyKey, rdmaResource,
                    cpu, memoryBytes, shmBytes);
        }

        public Kube withModelCache(String c) {
            return new Kube(hfTokenSecret, c, modelCacheBytes, storageClass, nodeSelector, tolerations, topologyKey, rdmaResource,
                    cpu, memoryBytes, shmBytes);
        }
    }
}
