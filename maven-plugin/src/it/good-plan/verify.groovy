import java.util.zip.ZipFile

// First build: the plan is checked and compiled, and its launch configs are in the jar.
// Second build, nothing changed: nothing is checked or compiled, and the jar still has them.
def log = new File(basedir, 'build.log').text
def checked = log.indexOf('[INFO] shardplan: checked 1 file')
def compiled = log.indexOf('[INFO] shardplan: compiled 1 file')
def nothingChecked = log.indexOf('[INFO] shardplan: nothing to check, 1 file up to date')
def nothingCompiled = log.indexOf('[INFO] shardplan: nothing to compile, 1 file up to date')
assert checked >= 0 && compiled > checked : 'the first build did not check and compile the plan'
assert nothingChecked > compiled : 'the second build did not report that nothing was checked'
assert nothingCompiled > nothingChecked : 'the second build did not report that nothing was compiled'
assert log.count('shardplan: compiled 1 file') == 1
// Each file the compiler ran over is named, with its plans and where they went.
assert log.contains('[INFO] shardplan: checked src/main/plans/good.plan: plan qwen32b_dp4_tp2')
assert log.contains('[INFO] shardplan: compiled src/main/plans/good.plan: plan qwen32b_dp4_tp2 -> target/generated-resources/shardplan/qwen32b_dp4_tp2')

def out = new File(basedir, 'target/generated-resources/shardplan/qwen32b_dp4_tp2')
assert new File(out, 'plan.json').isFile()

def jar = new ZipFile(new File(basedir, 'target/good-plan-1.0.jar'))
try {
    def names = jar.entries().collect { it.name }
    // Under a folder the plugin owns, not at the jar's root.
    assert names.contains('shardplan/qwen32b_dp4_tp2/plan.json') : "plan.json not packaged: ${names}"
    assert names.contains('shardplan/qwen32b_dp4_tp2/vllm/config.yaml') : "vllm files not packaged: ${names}"
    assert names.contains('shardplan/qwen32b_dp4_tp2/kubernetes/leaderworkerset.yaml') : "kubernetes files not packaged: ${names}"
    assert !names.any { it.startsWith('qwen32b_dp4_tp2/') } : "files at the jar root: ${names}"
} finally {
    jar.close()
}
// The cache records the plan and the import it depends on.
def cache = new File(basedir, 'target/shardplan/compile-cache.json').text
assert cache.contains('"src/main/plans/good.plan"') && cache.contains('"src/main/plans/common/cluster.plan"')
return true
