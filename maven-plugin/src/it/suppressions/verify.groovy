// Both findings are logged once as suppressed, with where the allow is and why; neither counts
// as a warning, so failOnWarning passes; the summary counts them.
def log = new File(basedir, 'build.log').text
assert log =~ /(?m)^\[INFO\] suppressed src\/main\/plans\/trap\.plan:\d+:\d+: warning\[SP0403\]: capacity trap: .* \(allowed at src\/main\/plans\/trap\.plan:17:9: offline batch: preemption accepted, throughput measured in staging\)$/
assert log =~ /(?m)^\[INFO\] suppressed src\/main\/plans\/trap\.plan:\d+:\d+: note\[SP0404\]: .* \(allowed at the project's suppressions: replicas are separate services on purpose\)$/
assert !(log =~ /(?m)^\[WARNING\] .*warning\[SP0403\]/)
assert log =~ /(?m)^\[INFO\] shardplan: checked 1 file; 2 findings suppressed$/
assert log.contains('BUILD SUCCESS')
return true
