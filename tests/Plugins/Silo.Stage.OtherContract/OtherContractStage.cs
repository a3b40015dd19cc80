using Silo.Abstractions;

namespace Silo.Stage.OtherContract;

/// <summary>A stage of contract 99: this silo must refuse it before using its types.</summary>
public sealed class OtherContractStage : IIsolationStage
{
    public string Name => "other-contract";
}
