using Silo;
using Silo.Abstractions;
using Silo.Native;

return SiloApp.Execute(args, Console.Out, Console.Error);

namespace Silo
{
    /// <summary>The top of silo: every error is printed here, once, and turned into an exit status.</summary>
    internal static class SiloApp
    {
        public static int Execute(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
        {
            // --trace is read before the parser exists, so that plugin loading is narrated too.
            var log = new HostLog(stderr, SiloCommandLine.PreScanTrace(args));
            try
            {
                log.Trace("host", "started; loading stage plugins");
                var catalog = StageCatalog.Load(StageCatalog.SearchFolders(SiloCommandLine.PreScanStagePaths(args)));
                foreach (BrokenPlugin broken in catalog.Broken)
                {
                    log.Warn("host", $"stage plugin {broken.File} is not usable: {broken.Reason}");
                }

                log.Trace("host", $"loaded {catalog.Stages.Count} stage(s): {string.Join(", ", catalog.Stages.Select(s => s.Stage.Name))}");
                return Run(catalog, args, stdout, log);
            }
            catch (UsageException e)
            {
                log.Error(e.Message);
                stderr.WriteLine("Try 'silo --help' for more information.");
                return ExitCodes.Usage;
            }
        }

        public static int Run(StageCatalog catalog, IReadOnlyList<string> args, TextWriter stdout, HostLog log)
        {
            Invocation invocation;
            try
            {
                invocation = new SiloCommandLine(catalog, stdout).Parse(args);
            }
            catch (InvalidOperationException e)
            {
                // The plugins' ordering constraints cannot be met: not the user's doing.
                log.Error($"host: {e.Message}");
                return ExitCodes.SiloFailure;
            }

            log.Trace("host", "command line parsed");
            var host = new HostFacts(Sys.GetEffectiveUid(), Sys.GetEffectiveGid(), Environment.UserName);
            var known = catalog.Stages.Select(l => l.Stage).ToList();
            try
            {
                switch (invocation.Kind)
                {
                    case InvocationKind.Done:
                        return 0;
                    case InvocationKind.ListStages:
                        StagesReport.Write(stdout, catalog, invocation);
                        return 0;
                    case InvocationKind.Plan:
                        PlanPrinter.Write(stdout, Planner.Build(invocation, host, log, known));
                        return 0;
                    default:
                        return new Runner(invocation, host, log).Run(Planner.Build(invocation, host, log, known));
                }
            }
            catch (StageUsageException e)
            {
                throw new UsageException(e.Message);
            }
            catch (StageFailureException e)
            {
                log.Error($"{StageName.Prefix(e)}{e.Message}");
                return ExitCodes.SiloFailure;
            }
            catch (SyscallException e)
            {
                log.Error($"host: {e.Message}{HostHints.For(e, invocation, host)}");
                return ExitCodes.SiloFailure;
            }
            catch (InvalidOperationException e)
            {
                log.Error($"host: {e.Message}");
                return ExitCodes.SiloFailure;
            }
        }
    }
}
