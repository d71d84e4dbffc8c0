package io.xlatbox.engine.e2e;

import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;

/** A lab with an engine running in its router; closing stops the engine, then takes the lab down. */
final class LabEngine implements AutoCloseable {
    final Lab lab;
    final Engine engine;

    private LabEngine(Lab lab, Engine engine) {
        this.lab = lab;
        this.engine = engine;
    }

    static LabEngine up(EngineConfig config, String... labOptions) throws Exception {
        return up(config, true, labOptions);
    }

    static LabEngine up(EngineConfig config, boolean offloads, String... labOptions) throws Exception {
        Lab lab = Lab.up(labOptions);
        try {
            return new LabEngine(lab, lab.startEngine(config, offloads));
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            engine.stop();
        } finally {
            lab.close();
        }
    }
}
