package dev.runnel.cluster.process;

import java.nio.file.Path;

/**
 * How a service's process reports to whoever started it, bound from {@code runnel.process.*}:
 * for test harnesses and scripts that start nodes with port 0.
 */
public class ProcessSettings {

    /**
     * A file to write, once the service is ready, with its pid and the ports it listens on ({@code
     * http}, and {@code kafka} on a broker): written to a temporary file and renamed, so it is seen
     * whole. Unset, no file is written.
     */
    private Path portFile;

    /**
     * The pid of the process that started this one: when it is gone, this process halts (it is
     * looked up every second, from before the context is built: {@link ParentWatchdogListener}).
     * Unset, nothing is watched.
     */
    private Long parentPid;

    public Path getPortFile() {
        return portFile;
    }

    public void setPortFile(Path portFile) {
        this.portFile = portFile;
    }

    public Long getParentPid() {
        return parentPid;
    }

    public void setParentPid(Long parentPid) {
        this.parentPid = parentPid;
    }
}
