import java.util.zip.ZipFile

// service.plan imports "clusters/h200.plan", which is not beside it but in ../shared, outside the
// module: found through importPaths, checked, compiled, and recorded as a dependency of the plan.
def log = new File(basedir, 'build.log').text
assert !log.contains('error[SP'), 'the import resolved'
assert log.contains('[INFO] shardplan: compiled src/main/plans/service.plan: plan qwen32b_dp4_tp2')
def service = new File(basedir, 'service')
def jar = new ZipFile(new File(service, 'target/service-1.0.jar'))
try {
    assert jar.getEntry('shardplan/qwen32b_dp4_tp2/vllm/config.yaml') != null
} finally {
    jar.close()
}
def shared = new File(basedir, 'shared/clusters/h200.plan').canonicalPath.replace('\\', '/')
assert new File(service, 'target/shardplan/compile-cache.json').text.contains(shared)
return true
