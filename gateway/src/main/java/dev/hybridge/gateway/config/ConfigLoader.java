package dev.hybridge.gateway.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.spi.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the Helidon Config the gateway reads, highest priority first: environment variables
 * (e.g. {@code HYBRIDGE_LIMITS_ROOM_dash_CAPACITY=4}; Helidon maps {@code _} to {@code .} and
 * {@code _dash_} to {@code -}), system properties, an optional YAML file, then the embedded
 * {@code application.yaml} that holds every default.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** The config for a real start: env, system properties, {@code file} if given, embedded defaults. */
    public static Config load(Optional<Path> file) {
        List<ConfigSource> sources = new ArrayList<>();
        sources.add(ConfigSources.environmentVariables());
        sources.add(ConfigSources.systemProperties().build());
        file.ifPresent(
                f -> {
                    if (!Files.isRegularFile(f)) {
                        throw new IllegalArgumentException("config file not found: " + f);
                    }
                    sources.add(ConfigSources.file(f).build());
                });
        return build(sources);
    }

    /** Embedded defaults overridden by {@code overrides} (flat keys such as {@code hybridge.server.port}); for tests. */
    public static Config withOverrides(Map<String, String> overrides) {
        return build(List.of(ConfigSources.create(overrides).build()));
    }

    private static Config build(List<ConfigSource> highFirst) {
        Config.Builder b =
                Config.builder()
                        .disableEnvironmentVariablesSource()
                        .disableSystemPropertiesSource();
        for (ConfigSource s : highFirst) {
            b.addSource(s);
        }
        b.addSource(ConfigSources.classpath("application.yaml").build());
        return b.build();
    }
}
