/*
 * Minimal launcher for a single-node Elasticsearch 8.x built from Maven Central artifacts.
 *
 * Lives in package org.elasticsearch.node because Node(NodeConstruction), NodeConstruction.prepareConstruction
 * and NodeServiceProvider are package-private. Plugins (netty4 HTTP/transport) are loaded from the classpath
 * through the test framework's MockPluginsService; no test-framework node mocks are used (no ESTestCase,
 * no security manager, no jar-hell check, no bootstrap checks).
 *
 * Usage: java -cp ... org.elasticsearch.node.SearchNode <home-dir> [key=value ...]
 */
package org.elasticsearch.node;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class SearchNode extends Node {

    private static final String LOG4J2 = String.join(
        "\n",
        "status = error",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%consoleException%n",
        "rootLogger.level = ${sys:es.logger.level:-info}",
        "rootLogger.appenderRef.console.ref = console",
        ""
    );

    private SearchNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(env, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
                return new MockPluginsService(environment.settings(), environment, plugins);
            }
        }, true));
    }

    @SuppressWarnings("unchecked")
    private static List<Class<? extends Plugin>> plugins(String csv) throws ClassNotFoundException {
        List<Class<? extends Plugin>> out = new ArrayList<>();
        for (String name : csv.split(",")) {
            name = name.trim();
            if (name.isEmpty() == false) {
                out.add((Class<? extends Plugin>) Class.forName(name));
            }
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SearchNode <home-dir> [setting=value ...]");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.writeString(config.resolve("log4j2.properties"), LOG4J2, StandardCharsets.UTF_8);
        Files.writeString(config.resolve("elasticsearch.yml"), "", StandardCharsets.UTF_8);

        Settings.Builder b = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "search-node")
            .put("node.name", "search-node-0")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", "9200")
            .put("transport.port", "9300-9399")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true);
        String pluginList = "org.elasticsearch.transport.netty4.Netty4Plugin," + SearchNodeRootPlugin.class.getName();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected key=value, got: " + args[i]);
            String k = args[i].substring(0, eq), v = args[i].substring(eq + 1);
            if (k.equals("plugins")) pluginList = v; else b.put(k, v);
        }
        Settings settings = b.build();

        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "search-node-0");
        LogConfigurator.setNodeName(env.settings().get("node.name"));
        LogConfigurator.setClusterName(env.settings().get("cluster.name"));
        LogConfigurator.configure(env, true);

        final SearchNode node;
        try {
            node = new SearchNode(env, plugins(pluginList));
            node.start();
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.println("search-node: STARTUP FAILED: " + t);
            for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                System.err.println("search-node:   caused by: " + c);
            }
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "search-node-shutdown"));
        // keep a non-daemon thread alive until shutdown
        Thread keepAlive = new Thread(() -> {
            try {
                stopped.await();
            } catch (InterruptedException ignored) {}
        }, "search-node-keepalive");
        keepAlive.start();
    }
}
