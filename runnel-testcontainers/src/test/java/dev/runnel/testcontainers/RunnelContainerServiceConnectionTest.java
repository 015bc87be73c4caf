package dev.runnel.testcontainers;

import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * {@link ServiceConnectionScenarios} against the real image in Docker ({@code runnel/runnel:<version>},
 * built as the module README says). Skipped where Docker does not run.
 */
@Testcontainers(disabledWithoutDocker = true)
class RunnelContainerServiceConnectionTest extends ServiceConnectionScenarios {

    @Container
    @ServiceConnection
    static final RunnelContainer RUNNEL = new RunnelContainer()
            .withBrokerProperty("runnel.broker.auto-create-topics-enable", "true");

    @Override
    RunnelContainer runnel() {
        return RUNNEL;
    }
}
