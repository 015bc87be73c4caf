package dev.runnel.cluster.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class ParentWatchdogListenerTest {

    private static final AtomicReference<ParentWatchdogListener> LISTENER = new AtomicReference<>();
    private static final AtomicBoolean WATCHING_WHEN_BEANS_WERE_MADE = new AtomicBoolean();

    @Configuration(proxyBeanMethods = false)
    static class Service {

        @Bean
        Object firstBean() {
            WATCHING_WHEN_BEANS_WERE_MADE.set(LISTENER.get().watchdog() != null);
            return new Object();
        }
    }

    @Test
    void theWatchdogRunsBeforeTheContextIsBuiltAndStopsWhenItCloses() {
        ParentWatchdogListener listener = new ParentWatchdogListener();
        LISTENER.set(listener);
        long self = ProcessHandle.current().pid();
        try (ConfigurableApplicationContext context = run(listener, "--runnel.process.parent-pid=" + self)) {
            assertThat(WATCHING_WHEN_BEANS_WERE_MADE).isTrue();
            assertThat(listener.watchdog().parentPid()).isEqualTo(self);
        }
        assertThat(listener.watchdog()).isNull();
    }

    @Test
    void aChildContextThatClosesLeavesTheWatchdogRunning() {
        ParentWatchdogListener listener = new ParentWatchdogListener();
        LISTENER.set(listener);
        try (ConfigurableApplicationContext context = run(listener,
                "--runnel.process.parent-pid=" + ProcessHandle.current().pid())) {
            AnnotationConfigApplicationContext child = new AnnotationConfigApplicationContext();
            child.setParent(context);
            child.refresh();
            child.close();

            assertThat(listener.watchdog()).isNotNull();
        }
    }

    @Test
    void withoutAParentPidNothingIsWatched() {
        ParentWatchdogListener listener = new ParentWatchdogListener();
        LISTENER.set(listener);
        try (ConfigurableApplicationContext context = run(listener)) {
            assertThat(listener.watchdog()).isNull();
        }
    }

    private static ConfigurableApplicationContext run(ParentWatchdogListener listener, String... args) {
        return new SpringApplicationBuilder(Service.class).listeners(listener).web(WebApplicationType.NONE)
                .logStartupInfo(false).run(args);
    }
}
