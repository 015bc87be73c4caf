package dev.runnel.client.listener;

import org.springframework.kafka.config.MethodKafkaListenerEndpoint;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.support.converter.MessageConverter;

/**
 * One {@link LogListener} method as a Spring Kafka endpoint: a {@link MethodKafkaListenerEndpoint}
 * (so {@code @SendTo}, {@code @Header}, {@code @Payload}, validation and Spring Kafka's other
 * parameters work as on {@code @KafkaListener}) whose listener is wrapped by {@link
 * ObservedListener}, which times each call and measures the lag for the starter's metrics and
 * health. Made by {@link LogListenerAnnotationBeanPostProcessor}, registered by {@link
 * LogListenerEndpointRegistry}.
 */
public class LogListenerEndpoint extends MethodKafkaListenerEndpoint<byte[], byte[]> {

    private final LogListenerContainer handle = new LogListenerContainer(this);
    private CommonErrorHandler errorHandler;
    private ListenerObserver observer = ListenerObserver.NONE;

    /** The listener's own error handler, or null for its container factory's. */
    public CommonErrorHandler errorHandler() {
        return errorHandler;
    }

    public void setErrorHandler(CommonErrorHandler errorHandler) {
        this.errorHandler = errorHandler;
    }

    void setObserver(ListenerObserver observer) {
        this.observer = observer;
    }

    /** The starter's view of this endpoint's container. */
    public LogListenerContainer container() {
        return handle;
    }

    /** Spring Kafka's listener for this method (filters included), then wrapped; the container calls the wrapper. */
    @Override
    public void setupListenerContainer(MessageListenerContainer listenerContainer, MessageConverter messageConverter) {
        super.setupListenerContainer(listenerContainer, messageConverter);
        listenerContainer.setupMessageListener(wrap(listenerContainer.getContainerProperties().getMessageListener()));
    }

    @SuppressWarnings("unchecked")
    private Object wrap(Object listener) {
        if (Boolean.TRUE.equals(getBatchListener())) {
            return new ObservedListener.Batch((BatchMessageListener<byte[], byte[]>) listener, handle, observer);
        }
        return new ObservedListener.Record((MessageListener<byte[], byte[]>) listener, handle, observer);
    }
}
