package io.portico.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster for tests: three Redis 6.2 masters on loopback, each serving a third of the 16,384 hash
 * slots, without replicas.
 */
public final class TestRedisCluster implements AutoCloseable {

    private static final int SLOTS = 16_384;

    private final List<TestRedis> nodes;

    private TestRedisCluster(List<TestRedis> nodes) {
        this.nodes = nodes;
    }

    /** Starts the masters, gives each its slots, joins them, and waits until the cluster state is ok. */
    public static TestRedisCluster start() {
        List<TestRedis> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(TestRedis.start(List.of("cluster-enabled yes", "cluster-config-file nodes.conf",
                    "cluster-node-timeout 5000")));
        }
        TestRedisCluster cluster = new TestRedisCluster(nodes);
        try {
            cluster.form();
        } catch (RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void form() {
        for (int i = 0; i < nodes.size(); i++) {
            List<Object> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            for (int slot = i * SLOTS / nodes.size(); slot < (i + 1) * SLOTS / nodes.size(); slot++) {
                command.add(slot);
            }
            try (RespConnection connection = new RespConnection(nodes.get(i).port())) {
                connection.call(command.toArray());
                if (i > 0) {
                    connection.call("CLUSTER", "MEET", "127.0.0.1", nodes.get(0).port());
                }
            }
        }
        Conditions.eventually("the cluster is up", () -> nodes.stream().allMatch(node -> {
            try (RespConnection connection = new RespConnection(node.port())) {
                String info = (String) connection.call("CLUSTER", "INFO");
                return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + nodes.size());
            }
        }));
    }

    public List<TestRedis> nodes() {
        return nodes;
    }

    /** The URLs of every node, separated by commas, as {@code redis.url} takes them in cluster mode. */
    public String url() {
        return nodes.stream().map(TestRedis::url).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        nodes.forEach(TestRedis::close);
    }
}
