package dev.runnel.controller.placement;

/**
 * A live broker as replica placement sees it: its id and its rack.
 *
 * @param id   the broker id
 * @param rack the broker's rack (or zone), or null when it has none; a blank rack counts as none
 */
public record PlacementBroker(int id, String rack) {

    public PlacementBroker {
        if (rack != null && rack.isBlank()) {
            rack = null;
        }
    }

    /** A broker without a rack. */
    public static PlacementBroker of(int id) {
        return new PlacementBroker(id, null);
    }
}
