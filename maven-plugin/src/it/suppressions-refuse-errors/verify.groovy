// Errors are never suppressed: the configuration is refused with a message, without a trace.
def log = new File(basedir, 'build.log').text
assert log.contains("shardplan: <suppressions>: SP0401 (weights-do-not-fit) is an error and cannot be suppressed; only warnings and notes can")
assert !(log =~ /(?m)^\s+at [\w.$]+\s?\(/)
return true
