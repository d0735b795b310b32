package dev.shardplan.predict;

/** Prints the calibration table with the current defaults (a main, not a test). */
public final class CalibrationProbe {
    public static void main(String[] args) {
        long t = System.nanoTime();
        var rep = Calibration.run(CalibrationData.trtllm(), CalibrationData::model, CalibrationData::gpu);
        System.out.print(rep.markdown());
        System.out.printf("%.1f s%n", (System.nanoTime() - t) / 1e9);
    }
}
