/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after jest's own summary, so a CI log
 * reader that does not know jest still sees what ran.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
