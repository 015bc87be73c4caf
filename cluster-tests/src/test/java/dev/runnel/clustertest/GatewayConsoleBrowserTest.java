package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.gateway.GatewayApplication;

/**
 * The web console in a real browser: Debian's headless Chromium, driven through its
 * chromedriver by Selenium, against the gateway of a real cluster. A person signs in, sees the
 * overview, creates a topic, produces a record with the form, finds it in the message browser
 * and sees a consumer group's lag. Screenshots of those pages are written to
 * {@code target/console-screenshots}. Without chromium and chromedriver (Debian packages
 * {@code chromium} and {@code chromium-driver}, which {@code .ci/run} installs) the test is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayConsoleBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private InJvmCluster cluster;
    private ConfigurableApplicationContext gateway;
    private WebDriver browser;
    private String base;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1");
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + cluster.connectString(),
                "--runnel.cluster.secret=" + InJvmCluster.SECRET,
                "--runnel.gateway.security.users[0].name=admin", "--runnel.gateway.security.users[0].password=console-test",
                "--runnel.gateway.security.users[0].role=ADMIN");
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port") + "/";
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private WebElement find(String id) {
        return await("#" + id).atMost(DEADLINE).ignoreExceptions().until(() -> browser.findElement(By.id(id)), e -> true);
    }

    private void type(String id, String text) {
        WebElement field = find(id);
        field.clear();
        field.sendKeys(text);
    }

    private void untilText(String id, String expected) {
        await("#" + id + " shows " + expected).atMost(DEADLINE).ignoreExceptions()
                .until(() -> browser.findElement(By.id(id)).getText().contains(expected));
    }

    private void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anOperatorCreatesATopicProducesFindsTheRecordAndSeesGroupLag() throws Exception {
        browser.get(base);
        await("the login form").atMost(DEADLINE).until(() -> browser.getCurrentUrl().contains("/login"));
        type("username", "admin");
        type("password", "console-test");
        browser.findElement(By.cssSelector("button[type=submit]")).click();

        untilText("who", "admin (admin)");
        untilText("brokers-table", "online");
        untilText("overview-live", "Active: controller #1");

        find("nav-topics").click();
        type("create-topic-name", "browser-orders");
        type("create-topic-partitions", "2");
        type("create-topic-rf", "1");
        type("create-topic-configs", "retention.ms=86400000");
        find("create-topic-submit").click();
        untilText("topics-table", "browser-orders");
        screenshot("topics");

        browser.findElement(By.linkText("browser-orders")).click();
        untilText("partitions-table", "1");
        untilText("configs-table", "retention.ms");
        screenshot("topic");

        browser.get(base + "#/messages?topic=browser-orders");
        type("produce-partition", "1");
        type("produce-key", "order-1");
        type("produce-value", "{\"id\": 1, \"item\": \"lamp\"}");
        type("produce-headers", "source=console");
        find("produce-submit").click();
        untilText("produce-result", "Written to partition 1 at offset 0");
        type("browse-partition", "1");
        new Select(find("browse-from")).selectByValue("offset");
        type("browse-offset", "0");
        find("browse-submit").click();
        untilText("records-table", "order-1");
        String shown = find("records-table").getText();
        assertThat(shown).contains("\"item\": \"lamp\"").contains("source: console");
        screenshot("messages");

        try (Admin admin = KafkaClients.admin(cluster.bootstrap(1));
                var producer = KafkaClients.producer(cluster.bootstrap(1), Map.of())) {
            for (int i = 0; i < 7; i++) {
                producer.send(new ProducerRecord<>("browser-orders", i % 2, KafkaClients.bytes("k" + i),
                        KafkaClients.bytes("v" + i))).get(30, TimeUnit.SECONDS);
            }
            Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
            committed.put(new TopicPartition("browser-orders", 0), new OffsetAndMetadata(1));
            committed.put(new TopicPartition("browser-orders", 1), new OffsetAndMetadata(2));
            admin.alterConsumerGroupOffsets("billing", committed).all().get(10, TimeUnit.SECONDS);
        }
        // Partition 0 ends at 4 (lag 3), partition 1 at 4 (the form's record and 3 more, lag 2).
        find("nav-groups").click();
        untilText("groups-table", "billing");
        browser.findElement(By.linkText("billing")).click();
        untilText("group-total-lag", "5");
        untilText("lag-table", "browser-orders");
        screenshot("group");

        new Select(find("reset-to")).selectByValue("latest");
        type("reset-topic", "browser-orders");
        find("reset-submit").click();
        untilText("group-total-lag", "0");

        find("nav-overview").click();
        untilText("overview-live", "Active: controller #1");
        untilText("brokers-table", "online");
        screenshot("overview");
        assertThat(List.of(SCREENSHOTS.resolve("overview.png"), SCREENSHOTS.resolve("messages.png"),
                SCREENSHOTS.resolve("group.png"))).allMatch(Files::exists);
    }
}
