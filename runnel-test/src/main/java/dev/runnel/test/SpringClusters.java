package dev.runnel.test;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.junit.jupiter.SpringExtension;

/** The cluster of a Spring test's application context; loaded only when Spring's test support is there. */
final class SpringClusters {

    private SpringClusters() {
    }

    static RunnelCluster fromApplicationContext(ExtensionContext context) {
        return SpringExtension.getApplicationContext(context).getBean(RunnelCluster.class);
    }
}
