// The plan has no errors but falls into the capacity trap (SP0403, a warning); with
// failOnWarning the build fails, the warning is logged as file:line:col, and there is no trace.
def log = new File(basedir, 'build.log').text
assert log =~ /(?m)^\[WARNING\] src\/main\/plans\/trap\.plan:\d+:\d+: warning\[SP0403\]: capacity trap: /
assert log =~ /(?m)^\[WARNING\]     help: /
assert log =~ /shardplan check found 0 errors and \d+ warnings? in src\/main\/plans \(failOnWarning is set\); see the lines above/
assert !(log =~ /(?m)^\s+at [\w.$]+\s?\(/)
return true
