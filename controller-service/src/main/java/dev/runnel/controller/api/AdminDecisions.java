package dev.runnel.controller.api;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.AdminException;
import dev.runnel.controller.metadata.AdminException.Reason;
import dev.runnel.controller.metadata.ClusterView;
import dev.runnel.controller.metadata.ControllerEvent;

/**
 * How the admin API's controllers read the active controller's view and have a change decided:
 * NOT_CONTROLLER on a standby, the change's refusal as the caller's error, and OUTCOME_UNKNOWN when
 * the decision does not come in time (it may still be applied).
 */
final class AdminDecisions {

    static final long DECISION_TIMEOUT_SECONDS = 30;

    private AdminDecisions() {
    }

    /** The active controller's view of the cluster. */
    static ClusterView view(ActiveController controller) {
        ClusterView view = controller.view();
        if (view == null) {
            throw new AdminException(Reason.NOT_CONTROLLER, "This controller is " + controller.role()
                    + ", not active; retry");
        }
        return view;
    }

    /** Runs {@code event} through the event loop and returns the reply once committed. */
    static Object decide(ActiveController controller, ControllerEvent event) {
        try {
            return controller.submit(event).get(DECISION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AdminException refused) {
                throw refused;
            }
            throw new IllegalStateException("The controller failed to apply the change: " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new AdminException(Reason.OUTCOME_UNKNOWN, "The controller did not decide within "
                    + DECISION_TIMEOUT_SECONDS + " s; the change may still be applied: check before repeating it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(Reason.OUTCOME_UNKNOWN, "Interrupted while the change was being decided;"
                    + " it may still be applied: check before repeating it");
        }
    }
}
