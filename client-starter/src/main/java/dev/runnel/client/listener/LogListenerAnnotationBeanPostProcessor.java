package dev.runnel.client.listener;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanExpressionContext;
import org.springframework.beans.factory.config.BeanExpressionResolver;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.kafka.config.KafkaListenerContainerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.adapter.KafkaMessageHandlerMethodFactory;
import org.springframework.format.support.DefaultFormattingConversionService;
import org.springframework.messaging.converter.GenericMessageConverter;
import org.springframework.validation.Validator;

import dev.runnel.client.support.PayloadCodec;

/**
 * Finds {@link LogListener} methods on beans and resolves their attributes (placeholders and
 * SpEL) into {@link LogListenerEndpoint}s, Spring Kafka method endpoints; once every singleton
 * exists it hands them to the {@link LogListenerEndpointRegistry}, which checks them and registers
 * them with Spring Kafka's registry. Discovery only: it runs nothing itself. The endpoints'
 * parameters are resolved by Spring Kafka's handler method factory with the starter's resolvers
 * added ({@link LogArgumentResolvers}), and with the application's {@link Validator} for
 * {@code @Valid} payloads when it has one.
 */
public class LogListenerAnnotationBeanPostProcessor implements BeanPostProcessor, BeanFactoryAware,
        SmartInitializingSingleton {

    /** The bean name of the factory a listener gets unless it names another. */
    public static final String DEFAULT_CONTAINER_FACTORY = "logListenerContainerFactory";

    private final List<Found> found = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger generatedIds = new AtomicInteger();
    private volatile boolean singletonsInstantiated;
    private ConfigurableListableBeanFactory beanFactory;
    private BeanExpressionContext expressionContext;
    private KafkaMessageHandlerMethodFactory handlerMethodFactory;

    private record Found(Object bean, Method method, LogListener annotation) {
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        if (beanFactory instanceof ConfigurableListableBeanFactory configurable) {
            this.beanFactory = configurable;
            this.expressionContext = new BeanExpressionContext(configurable, null);
        }
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = AopUtils.getTargetClass(bean);
        Map<Method, LogListener> methods = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<LogListener>) m -> AnnotatedElementUtils.findMergedAnnotation(m,
                        LogListener.class));
        methods.forEach((method, annotation) -> found.add(new Found(bean,
                AopUtils.selectInvocableMethod(method, bean.getClass()), annotation)));
        if (singletonsInstantiated) {
            registerFound(); // a lazy bean made after startup: its containers start at once if the registry runs
        }
        return bean;
    }

    @Override
    public void afterSingletonsInstantiated() {
        singletonsInstantiated = true;
        registerFound();
    }

    private synchronized void registerFound() {
        if (found.isEmpty()) {
            return;
        }
        LogListenerEndpointRegistry registry = beanFactory.getBean(LogListenerEndpointRegistry.class);
        List<Found> all = List.copyOf(found);
        found.clear();
        for (Found f : all) {
            String factoryName = resolveString(f.annotation().containerFactory());
            KafkaListenerContainerFactory<?> factory = beanFactory.getBean(
                    factoryName.isEmpty() ? DEFAULT_CONTAINER_FACTORY : factoryName, KafkaListenerContainerFactory.class);
            registry.register(endpoint(f), factory);
        }
    }

    private synchronized KafkaMessageHandlerMethodFactory handlerMethodFactory() {
        if (handlerMethodFactory == null) {
            KafkaMessageHandlerMethodFactory factory = new KafkaMessageHandlerMethodFactory();
            factory.setBeanFactory(beanFactory);
            factory.setMessageConverter(new GenericMessageConverter(new DefaultFormattingConversionService()));
            factory.setCustomArgumentResolvers(LogArgumentResolvers.all(beanFactory.getBean(PayloadCodec.class)));
            Validator validator = beanFactory.getBeanProvider(Validator.class).getIfUnique();
            if (validator != null) {
                factory.setValidator(validator);
            }
            factory.afterPropertiesSet();
            handlerMethodFactory = factory;
        }
        return handlerMethodFactory;
    }

    private LogListenerEndpoint endpoint(Found f) {
        LogListener a = f.annotation();
        String id = resolveString(a.id());
        if (id.isEmpty()) {
            id = f.method().getDeclaringClass().getSimpleName() + "." + f.method().getName() + "#"
                    + generatedIds.getAndIncrement();
        }
        List<String> topics = new ArrayList<>();
        for (String t : a.topics()) {
            addAll(topics, resolve(t));
        }
        topics.removeIf(String::isEmpty);
        String patternText = resolveString(a.topicPattern());
        Pattern pattern = null;
        if (!patternText.isEmpty()) {
            try {
                pattern = Pattern.compile(patternText);
            } catch (PatternSyntaxException e) {
                throw new IllegalStateException("@LogListener " + id + ": topicPattern is not a regular expression: "
                        + e.getMessage(), e);
            }
        }
        if (topics.isEmpty() == (pattern == null)) {
            throw new IllegalStateException("@LogListener " + id + " needs either topics or a topicPattern");
        }
        Properties properties = new Properties();
        for (String p : a.properties()) {
            String resolved = resolveString(p);
            int eq = resolved.indexOf('=');
            if (eq <= 0) {
                throw new IllegalStateException("@LogListener " + id + ": property '" + resolved + "' is not key=value");
            }
            properties.put(resolved.substring(0, eq).trim(), resolved.substring(eq + 1).trim());
        }
        Integer concurrency = toInteger(id, "concurrency", resolveString(a.concurrency()));
        if (concurrency != null && concurrency < 1) {
            throw new IllegalStateException("@LogListener " + id + ": concurrency must be at least 1, not " + concurrency);
        }
        LogListenerEndpoint endpoint = new LogListenerEndpoint();
        endpoint.setId(id);
        endpoint.setBean(f.bean());
        endpoint.setMethod(f.method());
        endpoint.setBeanFactory(beanFactory);
        endpoint.setMessageHandlerMethodFactory(handlerMethodFactory());
        if (pattern != null) {
            endpoint.setTopicPattern(pattern);
        } else {
            endpoint.setTopics(topics.toArray(String[]::new));
        }
        String group = resolveString(a.groupId());
        if (!group.isEmpty()) {
            endpoint.setGroupId(group);
        }
        endpoint.setConcurrency(concurrency);
        endpoint.setAutoStartup(toBoolean(id, "autoStartup", resolveString(a.autoStartup())));
        endpoint.setBatchListener(Boolean.TRUE.equals(toBoolean(id, "batch", resolveString(a.batch()))));
        endpoint.setConsumerProperties(properties);
        String errorHandlerName = resolveString(a.errorHandler());
        if (!errorHandlerName.isEmpty()) {
            endpoint.setErrorHandler(beanFactory.getBean(errorHandlerName, CommonErrorHandler.class));
        }
        return endpoint;
    }

    /** A placeholder-resolved, then SpEL-evaluated attribute. */
    private Object resolve(String value) {
        String resolved = beanFactory.resolveEmbeddedValue(value);
        BeanExpressionResolver resolver = beanFactory.getBeanExpressionResolver();
        return resolver == null || resolved == null ? resolved : resolver.evaluate(resolved, expressionContext);
    }

    private String resolveString(String value) {
        Object resolved = resolve(value);
        return resolved == null ? "" : resolved.toString().trim();
    }

    private static void addAll(List<String> topics, Object resolved) {
        if (resolved instanceof String s) {
            for (String part : s.split(",")) {
                topics.add(part.trim());
            }
        } else if (resolved instanceof String[] array) {
            for (String s : array) {
                addAll(topics, s);
            }
        } else if (resolved instanceof Collection<?> collection) {
            collection.forEach(o -> addAll(topics, o));
        } else if (resolved != null) {
            topics.add(resolved.toString().trim());
        }
    }

    private static Integer toInteger(String id, String attribute, String value) {
        if (value.isEmpty()) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("@LogListener " + id + ": " + attribute + " must be a number, not '" + value
                    + "'", e);
        }
    }

    private static Boolean toBoolean(String id, String attribute, String value) {
        if (value.isEmpty()) {
            return null;
        }
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalStateException("@LogListener " + id + ": " + attribute + " must be true or false, not '"
                    + value + "'");
        }
        return Boolean.valueOf(value);
    }
}
