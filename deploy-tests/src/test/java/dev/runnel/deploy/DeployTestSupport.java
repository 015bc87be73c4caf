package dev.runnel.deploy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.boot.origin.SystemEnvironmentOrigin;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;

/** What the deployment tests share: reading rendered manifests, and noting which variables a binding used. */
final class DeployTestSupport {

    private DeployTestSupport() {
    }

    /** The objects of {@code helm template}'s output by {@code Kind/name}, comment-only documents left out. */
    static Map<String, HasMetadata> manifests(String rendered) {
        Map<String, HasMetadata> objects = new LinkedHashMap<>();
        for (String document : rendered.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
                continue;
            }
            HasMetadata object = Serialization.unmarshal(document, HasMetadata.class);
            objects.put(object.getKind() + "/" + object.getMetadata().getName(), object);
        }
        return objects;
    }

    /** A bind handler that adds the name of every variable (or property) a binding took a value from to {@code used}. */
    static BindHandler recordingUsed(Set<String> used) {
        return new BindHandler() {
            @Override
            public Object onSuccess(ConfigurationPropertyName name, Bindable<?> target, BindContext context,
                    Object result) {
                ConfigurationProperty property = context.getConfigurationProperty();
                if (property != null && property.getOrigin() instanceof SystemEnvironmentOrigin origin) {
                    used.add(origin.getProperty());
                } else if (property != null && property.getOrigin() instanceof PropertySourceOrigin origin) {
                    used.add(origin.getPropertyName());
                }
                return result;
            }
        };
    }
}
