package partnergraph;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A small Neo4j 5.26 server for PartnerGraph's tests and development.
 *
 * <pre>java -cp target/partnergraph-neo4j-server.jar:target/lib/* partnergraph.TestServer HOME [PORT] [--plugins DIR] [--auth]</pre>
 *
 * Bolt only, on 127.0.0.1, encryption off, auth off (unless --auth: then the initial password of
 * user neo4j is read from the NEO4J_INITIAL_PASSWORD environment variable). APOC (and GDS when
 * built in) are loaded from the plugin directory, unrestricted. Prints one line
 * {@code PARTNERGRAPH-NEO4J READY bolt://127.0.0.1:PORT} when the default database is up, then
 * runs until stdin closes or the process gets SIGTERM, and shuts down cleanly.
 */
public final class TestServer {
    public static final String READY = "PARTNERGRAPH-NEO4J READY";

    private TestServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TestServer HOME [PORT] [--plugins DIR] [--auth] [--pagecache-mb N]");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        int port = 0;
        Path plugins = defaultPluginDir();
        boolean auth = false;
        long pagecacheMb = 256;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--plugins" -> plugins = Paths.get(args[++i]).toAbsolutePath();
                case "--auth" -> auth = true;
                case "--pagecache-mb" -> pagecacheMb = Long.parseLong(args[++i]);
                default -> port = Integer.parseInt(args[i]);
            }
        }
        if (port == 0) {
            port = freePort();
        }
        Files.createDirectories(home);

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*", "gds.*"))
                .setConfig(GraphDatabaseSettings.procedure_allowlist, List.of("*"));
        if (plugins != null && Files.isDirectory(plugins)) {
            builder.setConfig(GraphDatabaseSettings.plugin_dir, plugins);
        }
        DatabaseManagementService dbms = builder.build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("PARTNERGRAPH-NEO4J STOPPING");
            dbms.shutdown();
            System.out.println("PARTNERGRAPH-NEO4J STOPPED");
        }, "partnergraph-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
            System.err.println("PARTNERGRAPH-NEO4J FAILED: default database not available");
            System.exit(1);
        }
        if (auth) {
            String password = System.getenv("NEO4J_INITIAL_PASSWORD");
            if (password != null && !password.isEmpty()) {
                GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
                system.executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        java.util.Map.of("password", password));
            }
        }
        int bound = boundPort(db, port);
        System.out.println(READY + " bolt://127.0.0.1:" + bound);
        System.out.flush();

        InputStream in = System.in;
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // keep running until stdin closes
            }
        } catch (IOException ignored) {
            // stdin went away: shut down
        }
        System.exit(0);
    }

    private static Path defaultPluginDir() {
        try {
            Path jar = Paths.get(TestServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = Files.isDirectory(jar) ? jar.getParent() : jar.getParent();
            return dir.resolve("plugins");
        } catch (Exception e) {
            return null;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static int boundPort(GraphDatabaseService db, int fallback) {
        try {
            ConnectorPortRegister ports = ((GraphDatabaseAPI) db).getDependencyResolver()
                    .resolveDependency(ConnectorPortRegister.class);
            var address = ports.getLocalAddress(ConnectorType.BOLT);
            return address != null ? address.getPort() : fallback;
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
