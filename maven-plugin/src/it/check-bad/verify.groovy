// The build failed (invoker.buildResult = failure); the log must show the diagnostic as one
// file:line:col line, its help beneath, the one-line summary, and no stack trace.
def log = new File(basedir, 'build.log').text
assert log.contains('[ERROR] src/main/plans/bad.plan:14:40: error[SP0205]: `gpu_memory_utilization` is a plain number, not a quantity in GB')
assert log.contains('[ERROR]     help: remove the unit')
assert log =~ /shardplan check found 1 error and \d+ warnings? in src\/main\/plans; see the lines above/
// A stack trace would show "at package.Class.method (File.java:N)" lines.
assert !(log =~ /(?m)^\s+at [\w.$]+\s?\(/)
assert log.contains('MAVEN/MojoFailureException') : 'a plan error must be a build failure, not an execution error'
return true
