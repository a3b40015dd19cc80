namespace Silo.Abstractions;

/// <summary>
/// One isolation stage of the silo workbench: usually one Linux namespace, built as its own plugin.
/// </summary>
/// <remarks>
/// <para>
/// A stage decides what must happen; it never performs the child's work itself. It tells the host
/// which clone flag it needs (<see cref="CloneFlag"/>), which options it brings
/// (<see cref="Options"/>), what it requires before anything is cloned
/// (<see cref="CheckPrerequisites"/>), which primitive steps the child must execute
/// (<see cref="Plan"/>), and what the host must do for the child once it exists
/// (<see cref="SetUpParent"/>).
/// </para>
/// <para>
/// The host calls the members of enabled stages in execution order: the order that the stages'
/// <see cref="Ordering"/> constraints give, ties broken by <see cref="Lesson"/>.
/// </para>
/// </remarks>
public interface IIsolationStage
{
    /// <summary>The name used with <c>--stages</c>, in lower case, for example <c>uts</c>.</summary>
    string Name { get; }

    /// <summary>One line saying what the stage does, shown by <c>silo stages</c>.</summary>
    string Summary { get; }

    /// <summary>
    /// What the stage gives the sandbox a copy of, in a few words (for example
    /// <c>hostname and domain name</c>). <c>silo stages</c> lists these as shared with the host
    /// for every stage that is not enabled.
    /// </summary>
    string Isolates { get; }

    /// <summary>The place in the learning journey: the number of the stage's folder.</summary>
    int Lesson { get; }

    /// <summary>The namespace flag this stage adds to the clone, or <see cref="CloneFlags.None"/>.</summary>
    CloneFlags CloneFlag { get; }

    /// <summary>Which stages this one must run before or after.</summary>
    StageOrdering Ordering { get; }

    /// <summary>The command-line options this stage brings. They are valid only with the stage on.</summary>
    IReadOnlyList<StageOption> Options { get; }

    /// <summary>
    /// True when the stage is on even if <c>--stages</c> does not name it (hardening stages that
    /// should always protect). <c>--stages</c> can still turn it off with <c>-name</c>.
    /// </summary>
    bool EnabledByDefault => false;

    /// <summary>
    /// True when this stage gives the child the privilege that other stages need inside
    /// (the user namespace does: the child holds every capability in a namespace it owns).
    /// </summary>
    bool GrantsPrivilege => false;

    /// <summary>
    /// Checks, before anything is cloned, that this stage can work here. Throw
    /// <see cref="StageFailureException"/> with the way out when it cannot.
    /// </summary>
    void CheckPrerequisites(StageContext context)
    {
    }

    /// <summary>
    /// Adds the stage's child-side steps to the plan and adjusts the target. Runs in the host,
    /// before the clone. Throw <see cref="StageUsageException"/> for a bad option combination.
    /// </summary>
    void Plan(StageContext context);

    /// <summary>
    /// Runs in the host after the clone and before the child may continue: the place for work
    /// that must be done from outside, such as writing the child's uid map or attaching a network
    /// helper. Register cleanup with <see cref="ParentContext.OnExit"/>; report what goes wrong
    /// later, while the sandbox runs, with <see cref="ParentContext.Fail"/>.
    /// </summary>
    void SetUpParent(ParentContext context)
    {
    }
}
