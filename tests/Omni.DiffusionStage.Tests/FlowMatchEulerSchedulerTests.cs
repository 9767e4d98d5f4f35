using Omni.DiffusionStage.Scheduling;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class FlowMatchEulerSchedulerTests
{
    private const double Rel = 1e-6;

    public static TheoryData<string> Runs => new()
    {
        "shift=1,steps=1", "shift=1,steps=4", "shift=1,steps=20", "shift=1,steps=50",
        "shift=3,steps=1", "shift=3,steps=4", "shift=3,steps=20", "shift=3,steps=50",
    };

    [Fact]
    public void Step_OneEulerStep_MatchesClosedForm()
    {
        using var scope = NewDisposeScope();
        var schedule = new FlowMatchEulerScheduler().CreateSchedule(7);
        var sample = randn([2, 4, 3, 5], generator: new Generator(11));
        var velocity = randn([2, 4, 3, 5], generator: new Generator(12));
        const int index = 3;

        var actual = schedule.Step(velocity, index, sample).data<float>().ToArray();

        var x = sample.data<float>().ToArray();
        var v = velocity.data<float>().ToArray();
        var dt = schedule.Sigmas[index + 1] - schedule.Sigmas[index];
        Assert.True(dt < 0);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = x[i] + (dt * v[i]);
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"element {i}: {actual[i]} vs {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void SetTimesteps_FixtureRun_MatchesTimestepsAndSigmas(string run)
    {
        var reference = SchedulerFixture.FlowMatchRun(run);
        var scheduler = new FlowMatchEulerScheduler(1000, reference.GetProperty("shift").GetDouble());

        var schedule = scheduler.CreateSchedule(reference.GetProperty("num_inference_steps").GetInt32());

        Tolerance.AssertRelative([reference.GetProperty("init_sigma_max").GetDouble()], [scheduler.SigmaMax], Rel, "sigma_max");
        Tolerance.AssertRelative([reference.GetProperty("init_sigma_min").GetDouble()], [scheduler.SigmaMin], Rel, "sigma_min");
        Tolerance.AssertRelative(reference.GetProperty("timesteps").Doubles(), schedule.Timesteps, Rel, "timesteps");
        Tolerance.AssertRelative(reference.GetProperty("sigmas").Doubles(), schedule.Sigmas, Rel, "sigmas");
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Step_FixtureWorkedFirstStep_MatchesPrevSample(string run)
    {
        using var scope = NewDisposeScope();
        var reference = SchedulerFixture.FlowMatchRun(run);
        var firstStep = reference.GetProperty("first_step");
        var schedule = new FlowMatchEulerScheduler(1000, reference.GetProperty("shift").GetDouble())
            .CreateSchedule(reference.GetProperty("num_inference_steps").GetInt32());
        var (sampleValues, shape) = SchedulerFixture.Sample;
        var sample = tensor(sampleValues, shape, float32);
        var modelOutput = tensor(SchedulerFixture.ModelOutput.Values, shape, float32);

        var prev = schedule.Step(modelOutput, 0, sample);

        Tolerance.AssertRelative([firstStep.GetProperty("timestep").GetDouble()], [schedule.Timesteps[0]], Rel, "timestep");
        Tolerance.AssertRelative([firstStep.GetProperty("dt").GetDouble()], [schedule.StepSize(0)], Rel, "dt");
        Tolerance.AssertRelative(
            firstStep.GetProperty("prev_sample").Doubles(),
            prev.to(float64).data<double>().ToArray(),
            Rel,
            "prev_sample");
    }
}
