package dev.shardplan.model;

import java.util.List;

/**
 * Where and how to launch: the model path or Hugging Face id the engine loads, container image,
 * node host names (first is the head), ports, Kubernetes namespace and Slurm partition. Strings
 * are user data and are always quoted when they reach a shell.
 */
public record Deploy(String modelPath, String servedName, String image, List<String> hosts, int port,
                     int masterPort, String namespace, String partition, String account, String network) {
    public Deploy {
        hosts = List.copyOf(hosts);
    }
}
