package dev.runnel.cluster.process;

import java.time.Duration;

import org.springframework.boot.context.event.ApplicationContextInitializedEvent;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;

import dev.runnel.common.process.ParentWatchdog;

/**
 * Starts the {@link ParentWatchdog} of {@code runnel.process.parent-pid} as soon as the service's
 * settings are read, before its context is built, and stops it when the context closes (a start
 * that fails keeps it: whatever still runs then is what it is for). A bean would start only once
 * the context creates it, and a node whose harness died while it was starting waited that long
 * (half a minute, for one whose ZooKeeper went with the harness).
 *
 * <p>Registered in {@code META-INF/spring.factories}, so every Spring Boot application with this
 * module on its classpath has one; it does nothing unless the property is set. Only the
 * application's own context stops it, not a child context (Spring Cloud makes some) that closes.
 */
public final class ParentWatchdogListener implements ApplicationListener<ApplicationEvent> {

    /** The property that names the parent's pid. */
    static final String PARENT_PID = "runnel.process.parent-pid";

    private ParentWatchdog watchdog;
    private ApplicationContext context;

    @Override
    public synchronized void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared && watchdog == null) {
            Long parentPid = prepared.getEnvironment().getProperty(PARENT_PID, Long.class);
            if (parentPid != null) {
                watchdog = ParentWatchdog.start(parentPid, Duration.ofSeconds(1));
            }
        } else if (event instanceof ApplicationContextInitializedEvent initialized) {
            context = initialized.getApplicationContext();
        } else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context
                && watchdog != null) {
            watchdog.close();
            watchdog = null;
        }
    }

    /** The running watchdog, or null. */
    synchronized ParentWatchdog watchdog() {
        return watchdog;
    }
}
